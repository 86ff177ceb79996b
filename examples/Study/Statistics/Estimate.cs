// A figure with its uncertainty: the estimate, a confidence interval, how many values it rests on, and (for a
// difference) the p-value against zero — what every number a study reports carries.
using System.Globalization;

namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>An estimate with a confidence interval.</summary>
/// <param name="Value">The point estimate (a mean, a mean difference, a fitted parameter).</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="N">Values (seeds, pairs, bootstrap replicates' source points) it rests on.</param>
/// <param name="Level">Confidence level of the interval, e.g. 0.95.</param>
/// <param name="PValue">Two-sided p-value of "the true value is 0", where a test applies; otherwise null.</param>
public sealed record Estimate(double Value, double Low, double High, int N, double Level = 0.95, double? PValue = null)
{
    /// <summary>True when the interval lies wholly above or wholly below <paramref name="x"/>.</summary>
    public bool Excludes(double x) => Low > x || High < x;

    /// <summary>"1.234 [1.100, 1.368]" in the given format.</summary>
    public string ToString(string format) => string.Create(CultureInfo.InvariantCulture,
        $"{Value.ToString(format, CultureInfo.InvariantCulture)} [{Low.ToString(format, CultureInfo.InvariantCulture)}, {High.ToString(format, CultureInfo.InvariantCulture)}]");

    public override string ToString() => ToString("G4");
}

/// <summary>Confidence intervals and tests over small samples (seeds).</summary>
public static class Intervals
{
    /// <summary>Mean ± t-interval of <paramref name="values"/> (at least two).</summary>
    public static Estimate Mean(IReadOnlyList<double> values, double level = 0.95)
    {
        if (values.Count < 2)
            throw new ArgumentException($"A confidence interval needs at least two values; got {values.Count}.",
                nameof(values));
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double half = StudentT.Quantile(0.5 + level / 2, values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new Estimate(mean, mean - half, mean + half, values.Count, level);
    }

    /// <summary>Mean of a − b over pairs (the same seed / data order in both arms), its t-interval and the paired
    /// t-test's two-sided p-value.</summary>
    public static Estimate PairedDifference(IReadOnlyList<double> a, IReadOnlyList<double> b, double level = 0.95)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"Paired samples must have equal sizes; got {a.Count} and {b.Count}.");
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        var m = Mean(d, level);
        double sd = Math.Sqrt(d.Sum(v => (v - m.Value) * (v - m.Value)) / (d.Length - 1));
        double t = sd == 0 ? (m.Value == 0 ? 0 : double.PositiveInfinity * Math.Sign(m.Value))
            : m.Value / (sd / Math.Sqrt(d.Length));
        return m with { PValue = StudentT.TwoSidedP(t, d.Length - 1) };
    }

    /// <summary>Holm's step-down adjustment of <paramref name="pValues"/> (family-wise error control), in input
    /// order.</summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        double running = 0;
        for (int k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * pValues[order[k]]));
            adjusted[order[k]] = running;
        }
        return adjusted;
    }
}
