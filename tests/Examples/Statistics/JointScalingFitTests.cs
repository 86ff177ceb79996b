// The joint law L(N, D) = E + A·N^(−α) + B·D^(−β) the width ladder fits: it recovers a law it is given, finds an
// optimum at least as good as the truth on noisy data, tells a law that fits from one that does not by χ², and refuses
// cells that cannot support five parameters.
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Tests.Examples.Statistics;

public class JointScalingFitTests
{
    static readonly double[] Sizes = [6.6e4, 2.3e5, 4.9e5];
    static readonly double[] TokenMultiples = [10, 20, 40];

    static List<ScalingPoint> Cells(Func<double, double, double> law, double se, Random? noise = null) =>
        [.. Sizes.SelectMany(n => TokenMultiples.Select(k => (N: n, D: k * n)))
            .Select(c => new ScalingPoint(c.N, c.D, law(c.N, c.D) + (noise is null ? 0 : se * Gaussian(noise)), se))];

    static double Gaussian(Random r) =>
        Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    static double Truth(double n, double d) => 1.2 + 30 * Math.Pow(n, -0.4) + 200 * Math.Pow(d, -0.5);

    [Fact]
    public void It_recovers_the_law_it_is_given()
    {
        var fit = JointScalingFit.Fit(Cells(Truth, 0.001));
        fit.E.Should().BeApproximately(1.2, 0.01);
        fit.Alpha.Should().BeApproximately(0.4, 0.01);
        fit.Beta.Should().BeApproximately(0.5, 0.01);
        fit.ChiSquared.Should().BeLessThan(0.01);
        fit.DegreesOfFreedom.Should().Be(4);
        fit.PValue.Should().BeGreaterThan(0.99);
        fit.Predict(1e6, 2e7).Should().BeApproximately(Truth(1e6, 2e7), 0.005);
    }

    [Fact]
    public void On_noisy_cells_its_optimum_is_no_worse_than_the_truth_and_chi_squared_is_of_the_order_of_its_freedom()
    {
        var chi = new List<double>();
        for (int seed = 0; seed < 20; seed++)
        {
            var cells = Cells(Truth, 0.004, new Random(seed));
            var fit = JointScalingFit.Fit(cells);
            double truthChi2 = cells.Sum(c => Math.Pow((c.Loss - Truth(c.Parameters, c.Tokens)) / c.StandardError, 2));
            fit.ChiSquared.Should()
                .BeLessThanOrEqualTo(truthChi2 + 1e-6, "the optimum is at least as good as the law that made the data");
            cells.Sum(c => Math.Pow((c.Loss - fit.Predict(c.Parameters, c.Tokens)) / c.StandardError,
                2)).Should().BeApproximately(fit.ChiSquared, 1e-6 * Math.Max(1, fit.ChiSquared));
            chi.Add(fit.ChiSquared);
        }
        // χ² on 4 degrees of freedom has mean 4; a fitted optimum can only be smaller than the truth's (mean 9 here).
        chi.Average().Should().BeInRange(1, 8);
    }

    [Fact]
    public void A_law_with_an_interaction_of_size_and_data_is_rejected_by_chi_squared()
    {
        // L = E + C·(N·D)^(−0.3): size and data do not add, which E + A·N^(−α) + B·D^(−β) cannot follow to within
        // 0.001.
        var fit = JointScalingFit.Fit(Cells((n, d) => 1.1 + 2e3 * Math.Pow(n * d, -0.3) + 4e4 * Math.Pow(n,
            -0.9) * Math.Pow(d, -0.1), 0.0005));
        fit.PValue.Should().BeLessThan(0.01);
        JointScalingFit.Fit(Cells(Truth, 0.001)).PValue.Should().BeGreaterThan(0.01);
    }

    [Fact]
    public void Cells_that_cannot_support_five_parameters_are_refused_with_the_reason()
    {
        var five = Cells(Truth, 0.001).Take(5).ToList();
        FluentActions.Invoking(() =>
            JointScalingFit.Fit(five)).Should().Throw<ArgumentException>().WithMessage("*needs more than 5 cells*");
        var oneSize = Enumerable.Range(1, 6).Select(k => new ScalingPoint(1e5, k * 1e6, 1.5, 0.01)).ToList();
        FluentActions.Invoking(() =>
            JointScalingFit.Fit(oneSize)).Should().Throw<ArgumentException>().WithMessage("*two model sizes*");
        var noError = Cells(Truth, 0.001).Select((c, i) => i == 0 ? c with { StandardError = 0 } : c).ToList();
        FluentActions.Invoking(() =>
            JointScalingFit.Fit(noError)).Should().Throw<ArgumentException>().WithMessage("*positive standard error*");
    }
}
