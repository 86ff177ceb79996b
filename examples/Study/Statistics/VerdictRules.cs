// The rules that turn intervals into the words a study's verdicts use, so that the words follow from the numbers by
// a stated rule (and a re-run with other numbers re-judges itself). A comparison inside the noise says so.
using System.Globalization;

namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>What a comparison concluded.</summary>
public enum Outcome
{
    /// <summary>The first arm's value is lower, beyond the noise.</summary>
    Lower,
    /// <summary>The first arm's value is higher, beyond the noise.</summary>
    Higher,
    /// <summary>The data cannot tell the arms apart at the stated level: inside the noise.</summary>
    Unresolved,
}

/// <summary>Verdict rules for paired comparisons and fitted plateaus.</summary>
public static class VerdictRules
{
    /// <summary>A paired difference a − b (e.g. of final validation loss) judged by its family-wise adjusted p-value
    /// (Holm over every comparison of the family): Lower or Higher when the adjusted p is below
    /// <paramref name="alpha"/>, by the sign of the mean difference; otherwise Unresolved.</summary>
    public static Outcome Compare(Estimate difference, double adjustedP, double alpha = 0.05)
    {
        if (!(adjustedP >= 0 && adjustedP <= 1))
            throw new ArgumentOutOfRangeException(nameof(adjustedP), adjustedP, "an adjusted p-value is in [0, 1].");
        if (adjustedP >= alpha || difference.Value == 0) return Outcome.Unresolved;
        return difference.Value < 0 ? Outcome.Lower : Outcome.Higher;
    }

    /// <summary>A difference of fitted plateaus E(a) − E(b) judged by its bootstrap interval: Higher when the interval
    /// lies above 0, Lower when below, Unresolved when it contains 0.</summary>
    public static Outcome Plateau(Estimate difference) =>
        difference.Low > 0 ? Outcome.Higher : difference.High < 0 ? Outcome.Lower : Outcome.Unresolved;

    /// <summary>Whether a gap a − b measured at the largest budget cannot close within 2^<paramref name="doublings"/> ×
    /// that budget by a straight line in log₂(tokens) at the slope's far interval end: for a positive gap, gap +
    /// doublings·slope.Low &gt; 0; for a negative one, gap + doublings·slope.High &lt; 0. A gap of 0 is never
    /// persistent.</summary>
    public static bool ClosingExcluded(Estimate largestGap, Estimate slopePerDoubling, int doublings = 4) =>
        largestGap.Value > 0 ? largestGap.Value + doublings * slopePerDoubling.Low > 0
        : largestGap.Value < 0 && largestGap.Value + doublings * slopePerDoubling.High < 0;

    /// <summary>"lower than", "higher than" or "not distinguishable from (inside the noise)".</summary>
    public static string Words(Outcome outcome) => outcome switch
    {
        Outcome.Lower => "lower than",
        Outcome.Higher => "higher than",
        _ => "not distinguishable from (inside the noise)",
    };

    /// <summary>"−0.012 [−0.020, −0.004], Holm-adjusted p = 0.003 (5 pairs)".</summary>
    public static string Describe(Estimate difference, double? adjustedP, string format = "+0.0000;−0.0000")
    {
        var ci = CultureInfo.InvariantCulture;
        string interval = $"{difference.Value.ToString(format, ci)} [{difference.Low.ToString(format, ci)}, {difference.High.ToString(format, ci)}]";
        string p = adjustedP is double q ? ", Holm-adjusted p = " + q.ToString("0.###", ci) : "";
        return $"{interval}{p} ({difference.N.ToString(ci)} {(adjustedP is null ? "seeds" : "pairs")})";
    }
}
