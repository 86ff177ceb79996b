// The statistics the study's verdicts rest on, against values computed independently (published t tables, a numeric
// integration of the t density, Holm's procedure by hand, a power law with known parameters).
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Tests.Examples.Statistics;

public class StatisticsTests
{
    [Theory]
    [InlineData(2, 4.302653)]
    [InlineData(4, 2.776445)]
    [InlineData(9, 2.262157)]
    [InlineData(30, 2.042272)]
    public void The_t_quantile_matches_published_tables(int df, double expected)
    {
        StudentT.Quantile(0.975, df).Should().BeApproximately(expected, 1e-5);
        StudentT.Quantile(0.025, df).Should().BeApproximately(-expected, 1e-5);
        StudentT.Cdf(0, df).Should().BeApproximately(0.5, 1e-12);
    }

    [Fact]
    public void A_paired_difference_has_the_t_interval_and_the_t_test_p_value()
    {
        double[] a = [1, 2, 3, 4, 5];
        double[] d = [0.1, 0.2, 0.1, 0.3, 0.2];
        var b = a.Zip(d, (x, y) => x - y).ToArray();
        var e = Intervals.PairedDifference(a, b);
        e.Value.Should().BeApproximately(0.18, 1e-12);
        double se = Math.Sqrt(0.007) / Math.Sqrt(5);
        e.Low.Should().BeApproximately(0.18 - 2.776445 * se, 1e-5);
        e.High.Should().BeApproximately(0.18 + 2.776445 * se, 1e-5);
        // t = 4.8107, 4 df: 0.0085814 by numeric integration of the t density.
        e.PValue.Should().BeApproximately(0.0085814, 2e-6);
        e.Excludes(0).Should().BeTrue();
        e.N.Should().Be(5);
    }

    [Fact]
    public void Holm_adjusts_step_down_and_keeps_input_order()
    {
        // Sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max 0.02, 0.03, 0.06,
        // 0.06.
        Intervals.Holm([0.01, 0.04, 0.03, 0.005]).Should().Equal([0.03, 0.06, 0.06, 0.02],
            (x, y) => Math.Abs(x - y) < 1e-12);
        // 0.5·2 = 1 caps at 1, and the step-down running maximum carries it to 0.9·1.
        Intervals.Holm([0.5, 0.9]).Should().Equal([1.0, 1.0], (x, y) => Math.Abs(x - y) < 1e-12);
    }

    [Fact]
    public void A_mean_interval_needs_two_values()
    {
        FluentActions.Invoking(() =>
            Intervals.Mean([1.0])).Should().Throw<ArgumentException>().WithMessage("*at least two*");
        var m = Intervals.Mean([2.0, 4.0]);
        m.Value.Should().Be(3);
        m.High.Should().BeApproximately(3 + 12.706205 * Math.Sqrt(2) / Math.Sqrt(2), 1e-4);
    }

    static readonly double[] Budgets = [1e5, 4e5, 1.6e6, 6.4e6];

    static double Law(double e, double b, double beta, double d) => e + b * Math.Pow(d, -beta);

    [Fact]
    public void A_power_law_with_a_shared_exponent_is_recovered_and_its_crossing_found()
    {
        var points = new Dictionary<string, IReadOnlyList<(double, double)>>
        {
            ["dense"] = Budgets.Select(d => (d, Law(1.5, 30, 0.3, d))).ToList(),
            ["lowrank"] = Budgets.Select(d => (d, Law(1.7, 25, 0.3, d))).ToList(),
        };
        var fit = PowerLawFit.Fit(points);
        fit.Beta.Should().BeApproximately(0.3, 1e-4);
        fit.Arms["dense"].E.Should().BeApproximately(1.5, 1e-4);
        fit.Arms["lowrank"].E.Should().BeApproximately(1.7, 1e-4);
        fit.Arms["lowrank"].B.Should().BeApproximately(25, 1e-2);
        // 1.5 + 30x = 1.7 + 25x at x = D^(−0.3) = 0.04.
        fit.Crossing("dense", "lowrank")!.Value.Should().BeApproximately(Math.Pow(0.04, -1 / 0.3),
            1e-2 * Math.Pow(0.04, -1 / 0.3));
        fit.Predict("dense", 1e6).Should().BeApproximately(Law(1.5, 30, 0.3, 1e6), 1e-6);
    }

    [Fact]
    public void The_bootstrap_interval_of_a_plateau_difference_covers_the_truth_and_separates_a_real_gap()
    {
        var random = new Random(7);
        IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>> Arm(double e,
            double b) => Budgets.ToDictionary(d => d,
            d => (IReadOnlyDictionary<int, double>)Enumerable.Range(1,
            5).ToDictionary(s => s, s => Law(e, b, 0.3, d) + 0.01 * Gaussian(random)));
        var losses = new Dictionary<string, IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>>
        {
            ["dense"] = Arm(1.5, 30), ["lowrank"] = Arm(1.7, 25), ["same"] = Arm(1.5, 30),
        };
        var (fit, e, diff) = PowerLawBootstrap.Run(losses, [("lowrank", "dense"), ("same", "dense")], replicates: 400);
        fit.Arms.Should().HaveCount(3);
        e["dense"].Low.Should().BeLessThan(1.5);
        e["dense"].High.Should().BeGreaterThan(1.5);
        var gap = diff[("lowrank", "dense")];
        gap.Low.Should().BeGreaterThan(0, "a gap of 0.2 with noise 0.01 is resolved");
        gap.Low.Should().BeLessThan(0.2);
        gap.High.Should().BeGreaterThan(0.2);
        diff[("same", "dense")].Excludes(0).Should().BeFalse("two arms drawn from one law are not told apart");
    }

    static double Gaussian(Random r) =>
        Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}

public class VerdictRuleTests
{
    static Estimate Diff(double value, double low, double high) => new(value, low, high, 5);

    [Theory]
    [InlineData(-0.02, 0.01, Outcome.Lower)]
    [InlineData(0.02, 0.01, Outcome.Higher)]
    [InlineData(-0.02, 0.05, Outcome.Unresolved)]   // at alpha the difference no longer counts
    [InlineData(-0.02, 0.20, Outcome.Unresolved)]
    public void A_paired_comparison_counts_only_below_alpha_after_adjustment(double value, double adjustedP,
        Outcome expected) =>
        VerdictRules.Compare(Diff(value, value - 0.01, value + 0.01), adjustedP).Should().Be(expected);

    [Fact]
    public void Holm_can_turn_a_single_significant_comparison_into_noise()
    {
        // Alone p = 0.03 counts; as one of three comparisons with p 0.03, 0.04, 0.20 it does not (0.03·3 = 0.09).
        var diff = Diff(-0.05, -0.09, -0.01);
        VerdictRules.Compare(diff, 0.03).Should().Be(Outcome.Lower);
        VerdictRules.Compare(diff, Intervals.Holm([0.03, 0.04, 0.20])[0]).Should().Be(Outcome.Unresolved);
    }

    [Theory]
    [InlineData(0.10, 0.02, 0.18, Outcome.Higher)]
    [InlineData(-0.10, -0.18, -0.02, Outcome.Lower)]
    [InlineData(0.10, -0.01, 0.18, Outcome.Unresolved)]
    public void A_plateau_difference_is_judged_by_whether_its_interval_contains_zero(double value, double low,
        double high, Outcome expected) =>
        VerdictRules.Plateau(Diff(value, low, high)).Should().Be(expected);

    [Fact]
    public void The_description_carries_the_interval_the_p_value_and_the_pairs()
    {
        VerdictRules.Describe(Diff(-0.012, -0.02, -0.004),
            0.003).Should().Be("−0.0120 [−0.0200, −0.0040], Holm-adjusted p = 0.003 (5 pairs)");
        VerdictRules.Words(Outcome.Unresolved).Should().Contain("inside the noise");
        FluentActions.Invoking(() => VerdictRules.Compare(Diff(0, 0, 0),
            1.5)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
