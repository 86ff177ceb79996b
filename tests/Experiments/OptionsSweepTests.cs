// Every option is sweepable from one description (reflection over the options), ranges come from the options' own
// [Range]/[Choice] attributes, and a user's own variant is swept by name and saved and loaded once registered.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Experiments;

public class OptionsSweepTests
{
    /// <summary>A configuration as the study recorded it (docs/study/tune/dense/trials/trial-000-…json), before options
    /// were found by reflection: the same text must describe the same trial, or every run directory would refuse to
    /// resume.</summary>
    static readonly Dictionary<string, string> Recorded = new()
    {
        ["AdamBeta1"] = "0.8", ["AdamBeta2"] = "0.95", ["AdamEpsilon"] = "1E-10", ["AdamMatrixLearningRate"] = "0.003",
            ["AttentionRank"] = "dense",
        ["BatchSize"] = "16", ["DataSeed"] = "100", ["Depth"] = "4", ["DivergenceLoss"] = "100",
            ["EmbeddingLearningRate"] = "0.2", ["EvalEvery"] = "14",
        ["EvalTokens"] = "16384", ["FinalLrFraction"] = "0", ["FrobeniusDecay"] = "0",
            ["GradientAccumulationSteps"] = "1", ["GradientClip"] = "1",
        ["HeadDim"] = "32", ["HeadLearningRate"] = "0.004", ["HeadRank"] = "dense", ["Init"] = "Matched",
            ["MatrixLearningRate"] = "0.005",
        ["MaxSeconds"] = "none", ["MaxSteps"] = "none", ["MaxTokens"] = "1146880", ["MlpRank"] = "dense",
            ["ModelDim"] = "64", ["MuonMomentum"] = "0.95",
        ["MuonMomentumStart"] = "0.85", ["MuonMomentumWarmupSteps"] = "14", ["NewtonSchulzSteps"] = "5",
            ["Optimizer"] = "MuonAdamW", ["Seed"] = "100",
        ["SequenceLength"] = "256", ["ThresholdPerplexity"] = "none", ["Variant"] = "Dense",
            ["VectorLearningRate"] = "0.004", ["WarmdownFraction"] = "0.2",
        ["WarmupSteps"] = "0", ["WeightDecay"] = "0",
    };

    [Fact]
    public void A_recorded_configuration_sets_every_option_and_describes_itself_unchanged()
    {
        var options = TrialParameters.Apply(new LowRankLmTrainer.Options(), Recorded);
        var described = TrialParameters.Describe(options);
        // Options reachable or added since (MLP ratio, rank multiple, soft-cap, rotary base, norm epsilon; the
        // divergence margin) are added at their defaults; every recorded key reads back as it was written, so the
        // record names the same trial.
        described.Where(kv => !Recorded.ContainsKey(kv.Key)).Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["LogitSoftCap"] = "15", ["MlpRatio"] = "4", ["NormEps"] = "1E-06", ["RankMultiple"] = "1",
                ["RopeBase"] = "10000", ["DivergenceMargin"] = "5",
        });
        described.Where(kv => Recorded.ContainsKey(kv.Key)).Should().BeEquivalentTo(Recorded);
        OptionTable.SameConfiguration(described, Recorded).Should().BeTrue();
        OptionTable.SameConfiguration(described,
            new Dictionary<string, string>(Recorded) { ["RopeBase"] = "500" }).Should().BeFalse();
        options.Training.MuonMomentumWarmupSteps.Should().Be(14);
        options.Training.MaxTokens.Should().Be(1_146_880);
    }

    [Fact]
    public void Every_training_option_that_changes_a_trial_is_sweepable()
    {
        foreach (var p in typeof(TrainingOptions).GetProperties().Where(p => p.CanWrite
            && !p.IsDefined(typeof(RunSettingAttribute), false)))
            TrialParameters.IsKnown(p.Name).Should().BeTrue($"{p.Name} changes a trial's numbers");
        var o = TrialParameters.Apply(new LowRankLmTrainer.Options(), new Dictionary<string, string>
        {
            ["AdamBeta1"] = "0.9", ["WarmupSteps"] = "25", ["GradientClip"] = "0.5", ["WeightDecay"] = "0.1",
                ["MuonMomentum"] = "0.9",
            ["FinalLrFraction"] = "0.1", ["MaxSeconds"] = "none", ["NewtonSchulzSteps"] = "3",
        }).Training;
        (o.AdamBeta1, o.WarmupSteps, o.GradientClip, o.WeightDecay, o.MuonMomentum, o.FinalLrFraction, o.MaxSeconds,
            o.NewtonSchulzSteps)
            .Should().Be((0.9, 25, 0.5, 0.1, 0.9, 0.1, (double?)null, 3));
        var act = () => TrialParameters.Set(new LowRankLmTrainer.Options(), "AdamBeta1", "high");
        act.Should().Throw<ArgumentException>().WithMessage("*AdamBeta1*'high'*");
        TrialParameters.IsKnown("Threads").Should().BeFalse("how many threads run a trial is not what the trial is");
    }

    [Fact]
    public void Default_ranges_come_from_the_options_attributes()
    {
        var space =
            new SearchSpace().AddDefault("MatrixLearningRate").AddDefault("WarmupSteps").AddDefault("BatchSize");
        space.Dimensions[0].Should().BeEquivalentTo(new SearchDimension("MatrixLearningRate", [], 1e-4, 1.0,
            LogScale: true, Integer: false));
        space.Dimensions[1].Should().BeEquivalentTo(new SearchDimension("WarmupSteps", [], 0, 2000, LogScale: false,
            Integer: true));
        space.Dimensions[2].Choices.Should().Equal("4", "8", "16", "32", "64", "128");
        var trials = Tuners.Random(20, seed: 1).Trials(new SearchSpace().AddDefault("MatrixLearningRate"));
        trials.Select(t => double.Parse(t["MatrixLearningRate"],
            System.Globalization.CultureInfo.InvariantCulture)).Should().OnlyContain(v => v >= 1e-4 && v <= 1.0);
        var act = () => new SearchSpace().AddDefault("Seed");
        act.Should().Throw<ArgumentException>().WithMessage("*Seed*no default range*");
    }

    [Fact]
    public async Task A_registered_variant_is_swept_by_name_and_its_model_saves_and_loads()
    {
        var byName = () => LinearVariant.Parse("ScaledFactored");
        if (!ExtensionRegistry.VariantNames.Contains("ScaledFactored"))
            byName.Should().Throw<ArgumentException>().WithMessage("*ScaledFactored*ExtensionRegistry.Register*");
        ExtensionRegistry.Register(new ScaledFactoredVariant());

        using var dirTemp = new TempDirectory("variant-");
        string dir = dirTemp.Path;
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        var result = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps: 6))
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(new SearchSpace().Add("Variant", "Factored", "ScaledFactored"))
            .SetGridSearch()
            .SetModelDirectory(Path.Combine(dir, "models"), keepEveryModel: true)
            .SetResultDirectory(dir)
            .RunAsync();
        var scaled = result.Trials.Single(t => t.Parameters["Variant"] == "ScaledFactored");
        scaled.Status.Should().Be(TrialStatus.Completed);
        scaled.TotalParameters.Should().Be(result.Trials.Single(t =>
            t.Parameters["Variant"] == "Factored").TotalParameters + 2 * (4 * 8 + 2 * 8),
            "one scale per rank direction: 4 attention and 2 MLP layers of rank 8 in each of 2 blocks");

        var loaded = ml.LowRank().LoadModel(Path.Combine(dir, "models", scaled.Id + ".zip"));
        using var lm = loaded.GetLanguageModel();
        lm.Model.Config.Variant.Should().BeSameAs(LinearVariant.Parse("ScaledFactored"));
        lm.Model.Blocks[0].Attention.Projections.First().Should().BeOfType<ScaledFactoredLinear>();
        ml.LowRank().Evaluate(loaded.Transform(split.Validation)).Perplexity.Should()
            .BeApproximately(scaled.Perplexity!.Value, 1e-6 * scaled.Perplexity.Value);
    }
}
