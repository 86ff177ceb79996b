// A layer's rank as the user writes it: an absolute integer or a fraction of the layer's largest possible rank.
using System.Globalization;

namespace MLNet.LowRank.Model;

/// <summary>A rank: an absolute integer (<c>Rank.Of(32)</c>, or just <c>32</c>) or a fraction of min(in, out)
/// (<c>Rank.Fraction(0.25)</c>).</summary>
public readonly record struct Rank
{
    Rank(int absolute, double fraction) { Absolute = absolute; FractionOfMax = fraction; }

    /// <summary>The absolute rank, or 0 when the rank is a fraction.</summary>
    public int Absolute { get; }

    /// <summary>The fraction of min(in, out), or 0 when the rank is absolute.</summary>
    public double FractionOfMax { get; }

    /// <summary>An absolute rank.</summary>
    public static Rank Of(int rank) => new(rank, 0);

    /// <summary>A fraction of min(in, out), in (0, 1].</summary>
    public static Rank Fraction(double fraction) => new(0, fraction);

    public static implicit operator Rank(int rank) => Of(rank);

    /// <summary>The rank for a layer whose largest rank is <paramref name="maxRank"/>, unclamped; fractions round to
    /// the nearest integer and never below 1.</summary>
    public double ValueFor(int maxRank) => FractionOfMax > 0 ? Math.Max(1,
        Math.Round(FractionOfMax * maxRank)) : Absolute;

    /// <summary>Throws when this rank cannot be used for a layer with largest rank
    /// <paramref name="maxRank"/>.</summary>
    public void Validate(string option, int maxRank)
    {
        if (FractionOfMax > 0)
        {
            if (FractionOfMax > 1)
                throw new ArgumentOutOfRangeException(option,
                    FractionOfMax, $"{option}: a fractional rank must be in (0, 1]; got {FractionOfMax}.");
            return;
        }
        if (Absolute < 1 || Absolute > maxRank)
            throw new ArgumentOutOfRangeException(option, Absolute,
                $"{option} must be between 1 and {maxRank} (min(in, out) of the layers it applies to); " +
                $"got {Absolute}.");
    }

    public override string ToString() =>
        FractionOfMax > 0 ? FractionOfMax.ToString("0.###",
        CultureInfo.InvariantCulture) + "×max" : Absolute.ToString(CultureInfo.InvariantCulture);

    /// <summary>The invariant text of a rank that <see cref="Parse"/> reads back exactly: "32" for an absolute rank, a
    /// number with a decimal point ("0.25", "1.0") for a fraction, "dense" for null (no factoring).</summary>
    public static string Format(Rank? rank)
    {
        if (rank is not { } r) return "dense";
        if (r.FractionOfMax <= 0) return r.Absolute.ToString(CultureInfo.InvariantCulture);
        string text = r.FractionOfMax.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text
            : text + ".0";   // "1" would read back as absolute rank 1
    }

    /// <summary>Reads what <see cref="Format"/> writes: an integer (absolute), a number with a decimal point or an
    /// exponent (a fraction of min(in, out)), or "dense"/"full" (null).</summary>
    /// <exception cref="FormatException">Not a rank; the message lists the accepted forms.</exception>
    public static Rank? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (IsDense(t)) return null;
        if (t.Contains('.') || t.Contains('e') || t.Contains('E'))
        {
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture,
                out double f) && double.IsFinite(f)) return Fraction(f);
        }
        else if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r)) return Of(r);
        throw new FormatException($"'{text}' is not a rank: give an integer (32), a fraction of the layer's largest " +
            $"rank with a decimal point (0.25, 1.0), or dense.");
    }

    /// <summary>"dense" or "full" (any case): no factoring.</summary>
    public static bool IsDense(string text) => text.Equals("dense",
        StringComparison.OrdinalIgnoreCase) || text.Equals("full", StringComparison.OrdinalIgnoreCase);
}
