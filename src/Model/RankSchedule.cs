// Per-layer rank schedules (model-spec §2): how a group's rank varies over block i = 0 … L−1, t = i / (L−1).
// Subclass RankSchedule for a schedule of your own, or pass a function to RankSchedule.Custom.
using System.Globalization;

namespace MLNet.LowRank.Model;

/// <summary>Gives the rank of one weight group (attention or MLP) in each block. An integer converts to
/// <see cref="Constant(Rank)"/>, so <c>AttentionRank = 32</c> works.</summary>
public abstract class RankSchedule
{
    /// <summary>The unrounded rank at block <paramref name="layer"/> of <paramref name="depth"/>, for layers whose largest
    /// rank is <paramref name="maxRank"/>.</summary>
    public abstract double RankAt(int layer, int depth, int maxRank);

    /// <summary>Throws, naming <paramref name="option"/> and the allowed range, when the schedule's parameters are invalid.</summary>
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

    /// <summary>Position t = i / (L − 1) of block i, 0 for a single block.</summary>
    protected static double Position(int layer, int depth) => depth <= 1 ? 0 : (double)layer / (depth - 1);

    public static implicit operator RankSchedule(int rank) => Constant(rank);
    public static implicit operator RankSchedule(Rank rank) => Constant(rank);

    /// <summary>The same rank in every block.</summary>
    public static RankSchedule Constant(Rank rank) => new ConstantSchedule(rank);

    /// <summary>Linear from <paramref name="first"/> at block 0 to <paramref name="last"/> at the last block.</summary>
    public static RankSchedule Linear(double first, double last) => new InterpolatedSchedule("Linear", first, last, (a, b, t) => a + (b - a) * t);

    /// <summary><paramref name="first"/> for blocks with t &lt; <paramref name="split"/>, <paramref name="last"/> after.</summary>
    public static RankSchedule Step(double first, double last, double split = 0.5) => new StepSchedule(first, last, split);

    /// <summary>first · (last / first)^t.</summary>
    public static RankSchedule Exponential(double first, double last) => new InterpolatedSchedule("Exponential", first, last, (a, b, t) => a * Math.Pow(b / a, t));

    /// <summary>max − (max − min) · (2t − 1)²: widest in the middle, <paramref name="min"/> at both ends.</summary>
    public static RankSchedule NegativeQuadratic(double min, double max) =>
        new InterpolatedSchedule("NegativeQuadratic", min, max, (lo, hi, t) => hi - (hi - lo) * (2 * t - 1) * (2 * t - 1));

    /// <summary>Any function of (block, depth) → rank; the result is rounded and clamped like every schedule's.</summary>
    public static RankSchedule Custom(Func<int, int, double> rankAt, string name = "Custom") => new CustomSchedule(rankAt, name);

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    static void RequirePositive(string option, string parameter, double value)
    {
        if (!(value >= 1) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(option, value, $"{option}: schedule parameter '{parameter}' must be a finite rank ≥ 1; got {value}.");
    }

    sealed class ConstantSchedule(Rank rank) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => rank.ValueFor(maxRank);
        public override void Validate(string option, int maxRank) => rank.Validate(option, maxRank);
        public override string ToString() => $"Constant({rank})";
    }

    sealed class InterpolatedSchedule(string name, double a, double b, Func<double, double, double, double> at) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => at(a, b, Position(layer, depth));
        public override void Validate(string option, int maxRank)
        {
            RequirePositive(option, "first", a);
            RequirePositive(option, "last", b);
        }
        public override string ToString() => $"{name}({F(a)}, {F(b)})";
    }

    sealed class StepSchedule(double first, double last, double split) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => Position(layer, depth) < split ? first : last;
        public override void Validate(string option, int maxRank)
        {
            RequirePositive(option, "first", first);
            RequirePositive(option, "last", last);
            if (!(split > 0 && split <= 1))
                throw new ArgumentOutOfRangeException(option, split, $"{option}: Step split must be in (0, 1]; got {split}.");
        }
        public override string ToString() => $"Step({F(first)}, {F(last)}, split {F(split)})";
    }

    sealed class CustomSchedule(Func<int, int, double> rankAt, string name) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => rankAt(layer, depth);
        public override void Validate(string option, int maxRank) { }
        public override string ToString() => name;
    }
}
