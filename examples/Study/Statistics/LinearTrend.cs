// A straight line through points by ordinary least squares, with the slope's t-interval and p-value: the model-free
// view of a study's gap — does the paired loss gap between two arms shrink as training tokens double? — which needs
// no functional form for the loss itself.
namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>y = Intercept + Slope·x fitted by least squares.</summary>
/// <param name="Slope">The slope, its t-interval (n − 2 degrees of freedom) and the two-sided p-value of slope =
/// 0.</param>
/// <param name="Intercept">The intercept.</param>
/// <param name="ResidualStandardError">√(RSS / (n − 2)).</param>
public sealed record LinearTrend(Estimate Slope, double Intercept, double ResidualStandardError)
{
    /// <summary>The fitted line at <paramref name="x"/>.</summary>
    public double Predict(double x) => Intercept + Slope.Value * x;

    /// <summary>Fits <paramref name="points"/>: at least three, with at least two distinct x.</summary>
    public static LinearTrend Fit(IReadOnlyList<(double X, double Y)> points, double level = 0.95)
    {
        if (points.Count < 3)
            throw new ArgumentException($"A slope with an interval needs at least three points; got {points.Count}.",
                nameof(points));
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - mx) * (p.X - mx)), sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        if (sxx == 0) throw new ArgumentException("A slope needs at least two distinct x values.", nameof(points));
        double slope = sxy / sxx, intercept = my - slope * mx;
        int dof = points.Count - 2;
        double rss = points.Sum(p => { double r = p.Y - intercept - slope * p.X; return r * r; });
        double sigma = Math.Sqrt(rss / dof), se = sigma / Math.Sqrt(sxx);
        double half = StudentT.Quantile(0.5 + level / 2, dof) * se;
        double t = se == 0 ? (slope == 0 ? 0 : double.PositiveInfinity * Math.Sign(slope)) : slope / se;
        return new LinearTrend(new Estimate(slope, slope - half, slope + half, points.Count, level,
            StudentT.TwoSidedP(t, dof)), intercept, sigma);
    }
}
