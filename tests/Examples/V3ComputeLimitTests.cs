// The study's 12-hour rule (examples/Study/V3/V3ComputeLimit.cs): which records count as spent, and when a width's
// 2 × runs fit. The figures are the shape of the real decision: about 10 h spent, a width-96 ladder whose 1 × runs took
// about 1.2 h.
using MLNet.LowRank.Examples.Study;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Tests.Examples;

public class V3ComputeLimitTests
{
    static TrialResult Record(int index, double train, double eval, TrialStatus status = TrialStatus.Completed, string? copiedFrom = null) => new()
    {
        Id = $"trial-{index:000}-0000000000000000", Index = index, Parameters = [], Configuration = [], Status = status,
        TrainSeconds = train, EvalSeconds = eval, CopiedFrom = copiedFrom,
    };

    [Fact]
    public void Spent_hours_count_trials_trained_here_and_not_copied_or_failed_ones()
    {
        using var dir = new TempDirectory("limit-");
        var a = new ResultStore(Path.Combine(dir.Path, "core", "budget-1"));
        a.Write(Record(0, 3000, 600));
        a.Write(Record(1, 9999, 1, copiedFrom: "../v2/trial-001"));
        var b = new ResultStore(Path.Combine(dir.Path, "width", "w96-budget-1"));
        b.Write(Record(0, 1800, 0));
        b.Write(Record(1, 5000, 0, TrialStatus.Failed));
        var trained = V3ComputeLimit.TrainedHere(dir.Path);
        trained.Should().HaveCount(2);
        V3ComputeLimit.HoursOf(trained).Should().BeApproximately(1.5, 1e-12, "(3000 + 600 + 1800) s");
        V3ComputeLimit.TrainedHere(Path.Combine(dir.Path, "absent")).Should().BeEmpty();
    }

    [Fact]
    public void A_width_at_2x_runs_only_if_twice_its_1x_time_fits_in_what_is_left()
    {
        V3ComputeLimit.Decide(10.2, 1.2, 2).Should().Be((false, 2.4));
        V3ComputeLimit.Decide(10.2, 0.1, 2).Should().Be((true, 0.2));
        V3ComputeLimit.Decide(11.0, 0.5, 2).Should().Be((true, 1.0), "exactly at the limit still fits");
        V3ComputeLimit.Decide(11.0, 0.5, 2.5).Fits.Should().BeFalse();
        var act = () => V3ComputeLimit.Decide(5, 0, 2);
        act.Should().Throw<ArgumentException>().WithMessage("*1 × runs have no recorded time*");
    }
}
