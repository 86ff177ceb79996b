// Version 4's GPU recipe is specs a sweep runs: every tuning spec plans its five rates at the dense arm's
// compute-optimal budget, every arm holds the dense arm's parameters within the plan's ±1 %, and a seeds spec is refused
// before any training until its rate is set.
using MLNet.LowRank.Examples.Study;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Examples;

public class V4GpuRecipeTests
{
    [Fact]
    public void Every_spec_plans_or_refuses_before_training_and_every_arm_holds_the_dense_parameters()
    {
        using var dir = new TempDirectory("lowrank-v4-gpu-");
        V4GpuRecipe.Write(dir.Path);
        static LowRankExperiment Configured(ExperimentSpec spec) =>
            spec.Configure(new Microsoft.ML.MLContext(seed: 1).LowRank().CreateExperiment());
        long Parameters(ExperimentSpec spec) => ModelSummary.For(spec.Baseline.Model with { VocabSize = 32_768 }).TotalParameters;

        var dense = ExperimentSpec.Load(Path.Combine(dir.Path, "dense-tune-1x.json"));
        long optimal = 20 * Parameters(dense);
        var tunes = Directory.GetFiles(dir.Path, "*-tune-1x.json");
        tunes.Select(Path.GetFileName).Should().BeEquivalentTo(["dense-tune-1x.json", "deep-tune-1x.json",
            "lowrank-iso-tune-1x.json", "deep-80-tune-1x.json"]);
        foreach (var file in tunes)
        {
            var spec = ExperimentSpec.Load(file);
            Configured(spec).PlanTrials().Select(t => t.Parameters["MatrixLearningRate"]).Should()
                .Equal(["0.005", "0.01", "0.02", "0.04", "0.08"], file);
            spec.TrialBudget!.Tokens.Should().Be(optimal);
            ((double)Parameters(spec) / Parameters(dense)).Should().BeInRange(0.99, 1.01, $"{file} holds the dense arm's parameters");
        }
        var seeds = Directory.GetFiles(dir.Path, "*-seeds-*.json");
        seeds.Should().HaveCount(3 + 3 + 1 + 1, "dense and deep at 1, 4 and 16 ×; the ladder at 4 ×");
        foreach (var file in seeds)
            FluentActions.Invoking(() => Configured(ExperimentSpec.Load(file)).PlanTrials()).Should().Throw<ArgumentException>()
                .WithMessage($"*MatrixLearningRate*{V4GpuRecipe.RatePlaceholder}*", file);
        ExperimentSpec.Load(Path.Combine(dir.Path, "deep-seeds-16x.json")).TrialBudget!.Tokens.Should().Be(16 * optimal);
    }
}
