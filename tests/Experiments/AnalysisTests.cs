using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Experiments;

public class AnalysisTests
{
    [Fact]
    public void Pareto_frontier_of_hand_made_points()
    {
        var points = new (string Name, double X, double Y)[]
        {
            ("a", 1, 10), ("b", 2, 8), ("c", 3, 9), ("d", 4, 5), ("e", 4, 6), ("f", 5, 5), ("g", 0.5, 12), ("h", 2, 8),
        };
        Pareto.Frontier(points, p => p.X, p => p.Y).Select(p => p.Name).Should().Equal("g", "a", "b", "h", "d");
    }

    [Fact]
    public void Planner_matches_the_baseline_within_the_tolerance_by_going_deeper()
    {
        var dense = new GptConfig { VocabSize = 4096, Depth = 4, ModelDim = 256, Variant = LinearVariant.Dense };
        var lowRank = dense with { Variant = LinearVariant.Factored, AttentionRank = 32, MlpRank = 64, Depth = 1 };
        var plan = IsoParameterPlanner.Plan(dense, lowRank, tolerance: 0.05);
        plan.WithinTolerance.Should().BeTrue(plan.Message);
        Math.Abs(plan.RelativeDifference).Should().BeLessThanOrEqualTo(0.05);
        plan.Depth.Should().BeGreaterThan(4);
        ModelSummary.For(lowRank with { Depth = plan.Depth }).NonEmbeddingParameters.Should().Be(plan.Parameters);
        // The chosen depth is the closest: no other depth up to the search limit comes nearer the baseline.
        long target = ModelSummary.For(dense).NonEmbeddingParameters;
        plan.BaselineParameters.Should().Be(target);
        for (int d = 1; d <= 64; d++)
            Math.Abs(ModelSummary.For(lowRank with { Depth = d }).NonEmbeddingParameters - target)
                .Should()
                .BeGreaterThanOrEqualTo(Math
                .Abs(plan.Parameters - target), $"depth {d} must not be closer than the planned {plan.Depth}");
        var trials = plan.Trials(new Dictionary<string, string> { ["Variant"] = "Dense" },
            new Dictionary<string, string> { ["AttentionRank"] = "32", ["MlpRank"] = "64" });
        trials[1]["Depth"].Should().Be(plan.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Planner_says_when_no_depth_can_match()
    {
        var dense = new GptConfig
        {
            VocabSize = 512,
            Depth = 1,
            ModelDim = 64,
            HeadDim = 32,
            Variant = LinearVariant.Dense,
        };
        var huge = dense with { Variant = LinearVariant.Factored, AttentionRank = 60,
            MlpRank = 60 }; // one block already exceeds the baseline
        var plan = IsoParameterPlanner.Plan(dense, huge, tolerance: 0.01, maxDepth: 8);
        plan.WithinTolerance.Should().BeFalse();
        plan.Message.Should().Contain("No depth up to 8").And.Contain("closest is depth 1");
    }

    [Fact]
    public void Planner_can_also_search_ranks()
    {
        var dense = new GptConfig
        {
            VocabSize = 4096,
            Depth = 4,
            ModelDim = 128,
            HeadDim = 32,
            Variant = LinearVariant.Dense,
        };
        var lowRank = dense with { Variant = LinearVariant.Factored, AttentionRank = 16, MlpRank = 16, Depth = 8 };
        var plan = IsoParameterPlanner.Plan(dense, lowRank, tolerance: 0.005, maxDepth: 12, searchRanks: true);
        plan.WithinTolerance.Should().BeTrue(plan.Message);
        plan.AttentionRank.Should().NotBeNull();
        plan.MlpRank.Should().NotBeNull();
        long target = ModelSummary.For(dense).NonEmbeddingParameters;
        var chosen = lowRank with { Depth = plan.Depth, AttentionRank = plan.AttentionRank, MlpRank = plan.MlpRank };
        ModelSummary.For(chosen).NonEmbeddingParameters.Should().Be(plan.Parameters);
        Math.Abs(plan.Parameters - target).Should().BeLessThanOrEqualTo((long)(0.005 * target));
        // Nothing on the searched grid (depth ≤ 12, ranks in steps of 8) is closer.
        long best = long.MaxValue;
        for (int d = 1; d <= 12; d++)
            for (int a = 8; a <= 128; a += 8)
                for (int m = 8; m <= 128; m += 8)
                    best = Math.Min(best,
                        Math.Abs(ModelSummary.For(lowRank with { Depth = d, AttentionRank = a,
                        MlpRank = m }).NonEmbeddingParameters - target));
        Math.Abs(plan.Parameters - target).Should().Be(best);
    }

    [Fact]
    public void Shards_come_from_the_flag_or_slurm_variables()
    {
        JobArray.ResolveShard("2/5").Should().Be((2, 5));
        JobArray.ResolveShard(null,
            new Dictionary<string, string?> { ["SLURM_ARRAY_TASK_ID"] = "3", ["SLURM_ARRAY_TASK_COUNT"] = "4",
            ["SLURM_ARRAY_TASK_MIN"] = "0" }).Should().Be((3, 4));
        JobArray.ResolveShard(null, new Dictionary<string, string?>()).Should().Be((0, 1));
        FluentActions.Invoking(() =>
            JobArray.ResolveShard("4/4")).Should().Throw<ArgumentException>().WithMessage("*0 ≤ i < n*");
        var script = JobArray.SbatchScript("s", 3, "dotnet lowrank.dll sweep --run-dir /r", "/r",
            TimeSpan.FromHours(2), 8, 2);
        script.Should().Contain("#SBATCH --array=0-2").And.Contain("#SBATCH --time=02:00:00").And
            .Contain("#SBATCH --mem=8G").And.EndWith("dotnet lowrank.dll sweep --run-dir /r" + Environment.NewLine);
    }

    [Fact]
    public void Sbatch_scripts_quote_every_word_and_refuse_what_an_sbatch_line_cannot_hold()
    {
        // Each value comes back from bash exactly as it went in, whatever it holds.
        foreach (string value in new[] { "plain", "it's", "a b", "$HOME `id` $(id)", "back\\slash", "new\nline",
            new string('\'', 3), "" })
        {
            var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("printf %s " + JobArray.ShellQuote(value));
            using var bash = System.Diagnostics.Process.Start(info)!;
            string echoed = bash.StandardOutput.ReadToEnd();
            bash.WaitForExit();
            echoed.Should().Be(value);
        }
        JobArray.SbatchScript("s", 2, "true", "/runs/a", TimeSpan.FromHours(1), 4,
            1).Should().Contain("mkdir -p '/runs/a/logs'");
        FluentActions.Invoking(() => JobArray.SbatchScript("s", 2, "true", "/runs/my run", TimeSpan.FromHours(1), 4, 1))
            .Should().Throw<ArgumentException>()
            .WithMessage("The run directory '/runs/my run' has a space*#SBATCH --output line cannot hold*");
        FluentActions.Invoking(() => JobArray.SbatchScript("a b", 2, "true", "/runs/a", TimeSpan.FromHours(1), 4, 1))
            .Should().Throw<ArgumentException>().WithMessage("The job name 'a b'*");
    }
}
