// The goodness-of-fit and robustness statistics the study's corrected plateau verdict rests on, against an independent
// oracle (MathNet.Numerics' χ², t and least squares) and against laws with known parameters: every specification
// recovers its own law, χ² tells a law that fits from one that does not, and the residual bootstrap widens with misfit.
using Oracle = MathNet.Numerics.Distributions;
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Tests.Examples.Statistics;

public class FitRobustnessTests
{
    static readonly double[] Budgets = [1e5, 4e5, 1.6e6, 6.4e6];

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(3.84, 1)]
    [InlineData(11.07, 5)]
    [InlineData(4.0, 2)]
    [InlineData(191.0, 5)]
    [InlineData(30.0, 40)]
    [InlineData(1.0, 7)]
    public void The_chi_squared_tail_matches_MathNet(double x, int dof) =>
        ChiSquared.UpperTail(x, dof).Should().BeApproximately(1 - Oracle.ChiSquared.CDF(dof, x), 1e-10);

    [Fact]
    public void The_chi_squared_tail_has_its_edges()
    {
        ChiSquared.UpperTail(0, 3).Should().Be(1);
        ChiSquared.UpperTail(11_880, 5).Should().Be(0);
        FluentActions.Invoking(() => ChiSquared.UpperTail(1, 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void A_linear_trend_matches_MathNet_least_squares_and_its_t_interval()
    {
        var random = new Random(3);
        var points = Enumerable.Range(0,
            11).Select(i => (X: 20.0 + i % 4,
            Y: 0.09 - 0.003 * (i % 4) + 0.004 * (random.NextDouble() - 0.5))).ToList();
        var trend = LinearTrend.Fit(points);
        var (intercept,
            slope) = MathNet.Numerics.Fit.Line(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
        trend.Slope.Value.Should().BeApproximately(slope, 1e-12);
        trend.Intercept.Should().BeApproximately(intercept, 1e-10);
        double mx = points.Average(p => p.X), sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        double rss = points.Sum(p => Math.Pow(p.Y - intercept - slope * p.X, 2));
        double se = Math.Sqrt(rss / 9 / sxx);
        trend.Slope.High.Should().BeApproximately(slope + Oracle.StudentT.InvCDF(0, 1, 9, 0.975) * se, 1e-9);
        trend.Slope.PValue!.Value.Should().BeApproximately(2 * Oracle.StudentT.CDF(0, 1, 9, -Math.Abs(slope / se)),
            1e-8);
        FluentActions.Invoking(() => LinearTrend.Fit([(1, 1), (1, 2), (1,
            3)])).Should().Throw<ArgumentException>().WithMessage("*distinct x*");
    }

    static Dictionary<string, IReadOnlyList<PowerLawPoint>> Points(Func<string, double, double> law, double se,
        params string[] arms) =>
        arms.ToDictionary(a => a,
        a => (IReadOnlyList<PowerLawPoint>)Budgets.Select(d => new PowerLawPoint(d, law(a, d), se)).ToList());

    [Fact]
    public void Each_specification_recovers_the_law_it_assumes()
    {
        // β per arm: 0.3 and 0.5.
        var perArm = PowerLawFit.Fit(Points((a, d) => a == "dense" ? 1.5 + 30 * Math.Pow(d,
            -0.3) : 1.7 + 400 * Math.Pow(d, -0.5), 1e-3, "dense", "lowrank"),
            new PowerLawSpecification { SharedExponent = false });
        perArm.Arms["dense"].Beta.Should().BeApproximately(0.3, 1e-3);
        perArm.Arms["lowrank"].Beta.Should().BeApproximately(0.5, 1e-3);
        perArm.Arms["lowrank"].E.Should().BeApproximately(1.7, 1e-3);
        perArm.Goodness!.DegreesOfFreedom.Should().Be(8 - 6);
        perArm.Goodness.ChiSquared.Should().BeLessThan(1e-3);
        // The shared-β fit of the same points cannot follow both exponents.
        PowerLawFit.Fit(Points((a, d) => a == "dense" ? 1.5 + 30 * Math.Pow(d, -0.3) : 1.7 + 400 * Math.Pow(d, -0.5),
            1e-3, "dense", "lowrank"), PowerLawSpecification.Planned)
            .Goodness!.ChiSquared.Should().BeGreaterThan(10);

        // An offset D₀ = 50,000 tokens.
        var offset = PowerLawFit.Fit(Points((a, d) => (a == "dense" ? 1.5 : 1.6) + 30 * Math.Pow(d + 5e4, -0.3),
            1e-4, "dense", "lowrank"), new PowerLawSpecification { Offset = true });
        offset.Offset.Should().BeApproximately(5e4, 5e3);
        offset.Arms["lowrank"].E.Should().BeApproximately(1.6, 2e-3);
        offset.Beta.Should().BeApproximately(0.3, 0.01);

        // Log space on exact points gives the linear-space law.
        var log = PowerLawFit.Fit(Points((a, d) => (a == "dense" ? 1.5 : 1.7) + 30 * Math.Pow(d, -0.3),
            1e-3, "dense", "lowrank"), new PowerLawSpecification { LogSpace = true });
        log.Beta.Should().BeApproximately(0.3, 1e-3);
        log.Arms["dense"].E.Should().BeApproximately(1.5, 1e-3);
        log.Arms["lowrank"].B.Should().BeApproximately(30, 0.1);
    }

    [Fact]
    public void Inverse_variance_weights_discount_an_imprecise_point_that_equal_weights_follow()
    {
        var points = Points((a, d) => (a == "dense" ? 1.5 : 1.7) + 30 * Math.Pow(d, -0.3), 1e-4, "dense", "lowrank");
        var lowrank = points["lowrank"].ToList();
        lowrank[1] = lowrank[1] with { Loss = lowrank[1].Loss + 0.05,
            StandardError = 0.5 };   // off the law, and known to be imprecise
        points["lowrank"] = lowrank;
        var weighted = PowerLawFit.Fit(points, new PowerLawSpecification { InverseVarianceWeights = true });
        var equal = PowerLawFit.Fit(points, PowerLawSpecification.Planned);
        Math.Abs(weighted.Arms["lowrank"].E - 1.7).Should().BeLessThan(2e-3);
        Math.Abs(equal.Arms["lowrank"].E - 1.7).Should().BeGreaterThan(5 * Math.Abs(weighted.Arms["lowrank"].E - 1.7));
        FluentActions.Invoking(() => PowerLawFit.Fit(Points((_, d) => 1 + Math.Pow(d, -0.3), double.NaN, "a"),
            new PowerLawSpecification { InverseVarianceWeights = true }))
            .Should().Throw<ArgumentException>().WithMessage("*standard error*");
    }

    [Fact]
    public void Chi_squared_is_the_sum_of_squared_standardised_residuals_and_tells_a_misfit_from_noise()
    {
        var random = new Random(11);
        double Noise() =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        const double se = 0.002;
        var noisy = Points((a, d) => (a == "dense" ? 1.5 : 1.7) + 30 * Math.Pow(d, -0.3) + se * Noise(),
            se, "dense", "lowrank", "deep");
        var fit = PowerLawFit.Fit(noisy, PowerLawSpecification.Planned);
        var g = fit.Goodness!;
        g.DegreesOfFreedom.Should().Be(12 - 7);
        g.ChiSquared.Should().BeApproximately(noisy.Sum(kv => kv.Value.Sum(p => Math.Pow((p.Loss - fit.Predict(kv.Key,
            p.Tokens)) / p.StandardError, 2))), 1e-9);
        g.PValue.Should().BeApproximately(1 - Oracle.ChiSquared.CDF(5, g.ChiSquared), 1e-10);
        g.PValue.Should().BeGreaterThan(0.001, "points drawn from the law with noise of their stated size fit it");

        // Another form (loss falling with 1/ln D), the same noise: the power law cannot follow it to within 0.002.
        var other = Points((a, d) => (a == "dense" ? 0.2 : 0.4) + 18 / Math.Log(d) + 0.3 * Math.Sin(Math.Log(d)),
            se, "dense", "lowrank", "deep");
        PowerLawFit.Fit(other, PowerLawSpecification.Planned).Goodness!.PValue.Should().BeLessThan(1e-6);
    }

    [Fact]
    public void The_residual_bootstrap_widens_with_misfit_where_the_seed_bootstrap_does_not()
    {
        // Five seeds with tiny noise around a form the law does not follow: seed intervals stay narrow, residual ones
        // do not.
        var random = new Random(5);
        var losses = new[] { "dense", "lowrank" }.ToDictionary(a => a,
            a => (IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>)Budgets.ToDictionary(d => d,
            d => (IReadOnlyDictionary<int, double>)Enumerable.Range(1, 5).ToDictionary(s => s,
                s => (a == "dense" ? 1.5 : 1.6) + 30 * Math.Pow(d,
            -0.3) + (a == "lowrank" ? 0.03 * Math.Sin(Math.Log(d) * 3) : 0) + 1e-4 * (random.NextDouble() - 0.5))));
        var seeds = PowerLawBootstrap.Run(losses, [("lowrank", "dense")], replicates: 300);
        var residual = PowerLawBootstrap.Residual(seeds.Fit, PowerLawBootstrap.Points(losses), [("lowrank", "dense")],
            replicates: 300);
        double Width(Estimate e) => e.High - e.Low;
        Width(residual.Differences[("lowrank", "dense")]).Should()
            .BeGreaterThan(10 * Width(seeds.Differences[("lowrank", "dense")]));
        residual.Differences[("lowrank", "dense")].Value.Should().Be(seeds.Differences[("lowrank", "dense")].Value);
    }

    [Theory]
    [InlineData(0.085, -0.0056, 0.0009, true)]    // persistent: at −0.0056 per doubling, 4 doublings still leave +0.063
    [InlineData(0.026, -0.0068, -0.0037, false)]  // shrinking: 0.026 − 4·0.0068 < 0
    [InlineData(0.0, -0.001, 0.001, false)]
    [InlineData(-0.05, -0.002, 0.004, true)]      // a persistent lead: −0.05 + 4·0.004 < 0
    public void A_gap_is_persistent_when_its_slope_interval_cannot_close_it_within_16x(double gap, double slopeLow,
        double slopeHigh, bool expected) =>
        VerdictRules.ClosingExcluded(new Estimate(gap, gap - 0.01, gap + 0.01, 5),
        new Estimate((slopeLow + slopeHigh) / 2, slopeLow, slopeHigh, 11)).Should().Be(expected);
}
