// Per-layer rank schedules (model-spec §2): how a group's rank varies over block i = 0 … L−1, t = i / (L−1).
// Subclass RankSchedule for a schedule of your own, or pass a function to RankSchedule.Custom.
using System.Globalization;

namespace MLNet.LowRank.Model;

/// <summary>Gives the rank of one weight group (attention or MLP) in each block. An integer converts to
/// <see cref="Constant(Rank)"/>, so <c>AttentionRank = 32</c> works.</summary>
public abstract class RankSchedule
{
    /// <summary>The unrounded rank at block <paramref name="layer"/> of <paramref name="depth"/>, for layers whose
    /// largest rank is <paramref name="maxRank"/>.</summary>
    public abstract double RankAt(int layer, int depth, int maxRank);

    /// <summary>Throws, naming <paramref name="option"/> and the allowed range, when the schedule's parameters are
    /// invalid.</summary>
    public abstract void Validate(string option, int maxRank);

    /// <summary>The rank actually used at a block: rounded to a multiple of <paramref name="multiple"/> and clamped to
    /// [1, <paramref name="maxRank"/>].</summary>
    public int ResolveAt(int layer, int depth, int maxRank, int multiple = 1)
    {
        double raw = RankAt(layer, depth, maxRank);
        if (double.IsNaN(raw) || double.IsInfinity(raw))
            throw new InvalidOperationException($"Rank schedule {this} gave {raw} at block {layer}.");
        // Never round down to zero: the smallest rank a multiple allows is the multiple itself.
        int rounded = Math.Max(1, (int)Math.Round(raw / multiple, MidpointRounding.AwayFromZero)) * multiple;
        return Math.Clamp(rounded, 1, maxRank);
    }

    /// <summary>The kind and parameters of this schedule's text form (<c>("Linear", [8, 64])</c> for "Linear:8:64"), or
    /// null when it has none — a function given to <see cref="Custom"/>. Override it in a schedule of your own, and
    /// register the kind with <c>ExtensionRegistry.RegisterRankSchedule</c>, so that sweeps and records can name
    /// it.</summary>
    protected virtual (string Kind, double[] Parameters)? TextForm => null;

    /// <summary>The invariant text that <see cref="Parse"/> reads back to an equal schedule: "dense" for null, the rank
    /// for a constant ("32", "0.25"), else "Kind:a:b…" with every parameter in round-trip form ("Linear:8:64",
    /// "Step:8:64:0.5"). A schedule without a text form (a <see cref="Custom"/> function) gives its name, which Parse
    /// refuses.</summary>
    public static string Format(RankSchedule? schedule)
    {
        if (schedule is null) return "dense";
        if (schedule is ConstantSchedule c) return Rank.Format(c.Rank);
        return schedule.TextForm is var (kind, parameters)
            ? kind + string.Concat(parameters.Select(p => ":" + p.ToString("R", CultureInfo.InvariantCulture)))
            : schedule.ToString() ?? schedule.GetType().Name;
    }

    /// <summary>Reads what <see cref="Format"/> writes: "dense" or "full" (null), a rank ("32", "0.25"), "Constant:r",
    /// "Linear:a:b", "Step:a:b[:split]", "Exponential:a:b", "NegativeQuadratic:a:b", or a registered kind
    /// "Kind:a:b…".</summary>
    /// <exception cref="FormatException">Not a rank or schedule; the message lists the known kinds.</exception>
    public static RankSchedule? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (Rank.IsDense(t)) return null;
        var parts = t.Split(':');
        if (parts.Length == 1) return Constant(Rank.Parse(t)!.Value);
        string kind = parts[0];
        if (kind.Equals("constant", StringComparison.OrdinalIgnoreCase))
            // "Constant:4:4" (first and last alike, as the interpolated kinds write theirs) is read too.
            return parts.Length >= 2 && parts.Skip(2).All(x => x == parts[1]) && Rank.Parse(parts[1]) is { } r
                ? Constant(r) : throw Bad(text, "Constant takes one rank: Constant:32 or Constant:0.25");
        double[] values = parts.Skip(1).Select(p => double.TryParse(p, NumberStyles.Float,
            CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw Bad(text, $"'{p}' is not a number")).ToArray();
        RankSchedule Two(Func<double, double, RankSchedule> make) => values.Length == 2 ? make(values[0],
            values[1]) : throw Bad(text, $"{kind} takes two numbers: {kind}:first:last");
        switch (kind.ToLowerInvariant())
        {
            case "linear": return Two(Linear);
            case "exponential": return Two(Exponential);
            case "negativequadratic": return Two(NegativeQuadratic);
            case "step":
                return values.Length is 2 or 3 ? Step(values[0], values[1],
                    values.Length == 3 ? values[2] : 0.5)
                    : throw Bad(text, "Step takes two or three numbers: Step:first:last[:split]");
        }
        if (ExtensionRegistry.FindRankSchedule(kind) is { } create)
            return new RegisteredSchedule(kind, values, create(values));
        throw Bad(text, $"unknown kind '{kind}'. " +
            $"Known: {string.Join(", ", BuiltInKinds.Concat(ExtensionRegistry.RankScheduleKinds))}; register your " +
            $"own with ExtensionRegistry.RegisterRankSchedule");
    }

    /// <summary>The type whose code computes the ranks (a registered kind's own schedule type, not its
    /// wrapper).</summary>
    internal virtual Type ImplementationType => GetType();

    /// <summary>The built-in kinds' names.</summary>
    public static IReadOnlyList<string> BuiltInKinds { get; } =
        ["Constant", "Linear", "Step", "Exponential", "NegativeQuadratic"];

    static FormatException Bad(string text, string why) =>
        new($"'{text}' is not a rank schedule: {why}. A rank is an integer (32), a fraction with a decimal point " +
        $"(0.25), dense, or a schedule such as Linear:8:64.");

    /// <summary>Position t = i / (L − 1) of block i, 0 for a single block.</summary>
    protected static double Position(int layer, int depth) => depth <= 1 ? 0 : (double)layer / (depth - 1);

    public static implicit operator RankSchedule(int rank) => Constant(rank);
    public static implicit operator RankSchedule(Rank rank) => Constant(rank);

    /// <summary>The same rank in every block.</summary>
    public static RankSchedule Constant(Rank rank) => new ConstantSchedule(rank);

    /// <summary>Linear from <paramref name="first"/> at block 0 to <paramref name="last"/> at the last block.</summary>
    public static RankSchedule Linear(double first, double last) => new InterpolatedSchedule("Linear", first,
        last, (a, b, t) => a + (b - a) * t);

    /// <summary><paramref name="first"/> for blocks with t &lt; <paramref name="split"/>, <paramref name="last"/>
    /// after.</summary>
    public static RankSchedule Step(double first, double last, double split = 0.5) => new StepSchedule(first, last,
        split);

    /// <summary>first · (last / first)^t.</summary>
    public static RankSchedule Exponential(double first, double last) => new InterpolatedSchedule("Exponential", first,
        last, (a, b, t) => a * Math.Pow(b / a, t));

    /// <summary>max − (max − min) · (2t − 1)²: widest in the middle, <paramref name="min"/> at both ends.</summary>
    public static RankSchedule NegativeQuadratic(double min, double max) =>
        new InterpolatedSchedule("NegativeQuadratic", min,
        max, (lo, hi, t) => hi - (hi - lo) * (2 * t - 1) * (2 * t - 1));

    /// <summary>Any function of (block, depth) → rank; the result is rounded and clamped like every
    /// schedule's.</summary>
    public static RankSchedule Custom(Func<int, int, double> rankAt,
        string name = "Custom") => new CustomSchedule(rankAt, name);

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    static void RequirePositive(string option, string parameter, double value)
    {
        if (!(value >= 1) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(option,
                value, $"{option}: schedule parameter '{parameter}' must be a finite rank ≥ 1; got {value}.");
    }

    sealed class ConstantSchedule(Rank rank) : RankSchedule
    {
        public Rank Rank => rank;
        public override double RankAt(int layer, int depth, int maxRank) => rank.ValueFor(maxRank);
        public override void Validate(string option, int maxRank) => rank.Validate(option, maxRank);
        public override string ToString() => $"Constant({rank})";
    }

    sealed class InterpolatedSchedule(string name, double a, double b,
        Func<double, double, double, double> at) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => at(a, b, Position(layer, depth));
        public override void Validate(string option, int maxRank)
        {
            RequirePositive(option, "first", a);
            RequirePositive(option, "last", b);
        }
        protected override (string Kind, double[] Parameters)? TextForm => (name, [a, b]);
        public override string ToString() => $"{name}({F(a)}, {F(b)})";
    }

    sealed class StepSchedule(double first, double last, double split) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => Position(layer,
            depth) < split ? first : last;
        public override void Validate(string option, int maxRank)
        {
            RequirePositive(option, "first", first);
            RequirePositive(option, "last", last);
            if (!(split > 0 && split <= 1))
                throw new ArgumentOutOfRangeException(option,
                    split, $"{option}: Step split must be in (0, 1]; got {split}.");
        }
        protected override (string Kind, double[] Parameters)? TextForm => ("Step", [first, last, split]);
        public override string ToString() => $"Step({F(first)}, {F(last)}, split {F(split)})";
    }

    sealed class CustomSchedule(Func<int, int, double> rankAt, string name) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => rankAt(layer, depth);
        public override void Validate(string option, int maxRank) { }
        public override string ToString() => name;
    }

    /// <summary>A schedule made by a registered kind's factory, remembered by the kind and parameters it was made from
    /// so that its text form is exactly what was parsed, whatever the factory's ToString says.</summary>
    sealed class RegisteredSchedule(string kind, double[] parameters, RankSchedule inner) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => inner.RankAt(layer, depth, maxRank);
        public override void Validate(string option, int maxRank) => inner.Validate(option, maxRank);
        protected override (string Kind, double[] Parameters)? TextForm => (kind, parameters);
        internal override Type ImplementationType => inner.ImplementationType;
        public override string ToString() => inner.ToString() ?? kind;
    }
}
