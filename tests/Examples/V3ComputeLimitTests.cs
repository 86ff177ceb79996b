// The study's 12-hour rule (examples/Study/V3/V3ComputeLimit.cs): which records count as spent, and when a width's
// 2 × runs fit. The figures are the shape of the real decision: about 10 h spent, a width-96 ladder whose 1 × runs took
// about 1.2 h.
using MLNet.LowRank.Examples.Study;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Tests.Examples;

public class V3ComputeLimitTests
{
    static TrialResult Record(int index, double train, double eval, TrialStatus status = TrialStatus.Completed,
        string? copiedFrom = null) => new()
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

    [Fact]
    public void Wall_time_from_the_log_counts_each_version_3_result_from_the_line_before_it()
    {
        using var dir = new TempDirectory("limit-");
        string log = Path.Combine(dir.Path, "study.log");
        V3ComputeLimit.WallHoursFromLog(log).Should().BeNull();
        File.WriteAllLines(log,
        [
            "2026-12-01 10:00:00 tune/dense: 5 trials at budget 1/4 (1,146,880 tokens, 280 steps).",
            "2026-12-01 10:30:00   [1/5] trial 0 Seed=100: perplexity 5.1, version 2's: not counted",
            "2026-12-02 12:00:00 check: 3 trials at budget 1 (4,591,616 tokens, 1121 steps).",
            "2026-12-02 12:15:00   [1/3] trial 0 Seed=1: perplexity 4.2, 4.1 bits/byte",
            "2026-12-02 12:45:00   [2/3] trial 1 Seed=2: perplexity 4.3, 4.2 bits/byte",
            "a line without a time stamp",
            "2026-12-02 13:00:00 Study v2: compute-optimal …",
            "2026-12-02 13:06:00   [3/3] trial 2 Seed=3: perplexity 4.4, 4.3 bits/byte",
            "2026-12-02 13:10:00   [3/3] trial 2 Seed=3: already done (Completed)",
        ]);
        var (trials, hours) = V3ComputeLimit.WallHoursFromLog(log)!.Value;
        trials.Should().Be(3);
        hours.Should().BeApproximately((15 + 30 + 6) / 60.0, 1e-12, "each result from the stamped line before it");
    }
}
