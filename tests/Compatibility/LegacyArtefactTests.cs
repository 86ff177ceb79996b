// What users already have keeps working across the option redesign: a model zip, a version-1 checkpoint and a run
// directory written by the code before it (tests/Fixtures/Legacy, see its README) load, resume and are recognised.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Compatibility;

public class LegacyArtefactTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Legacy", name);

    public static string[] Texts => Enumerable.Range(0,
        12).Select(i => $"Document {i}: the quick brown fox jumps over the lazy dog {i * 7} times, and the jury " +
        $"said {i % 3} things.").ToArray();

    /// <summary>The options the fixtures were written with, in today's form.</summary>
    public static LowRankLmTrainer.Options Options() => new()
    {
        Model = new() { Depth = 2, ModelDim = 16, HeadDim = 8, SequenceLength = 16, Variant = LinearVariant.Factored,
            AttentionRank = 4, MlpRank = RankSchedule.Linear(4, 8) },
        Training = new() { BatchSize = 2, MaxSteps = 6, EvalEvery = 3, EvalTokens = 0, MatrixLearningRate = 0.03,
            WarmdownFraction = 0.5, MuonMomentumWarmupSteps = 2, CheckpointEverySteps = 3 },
        Seed = 5,
    };

    static (double[] Losses, double Perplexity) Expected() => ArtefactChecks.Expected(Fixture("expected.json"));

    [Fact]
    public void A_model_zip_from_before_loads_and_scores_as_it_did()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.LowRank().LoadModel(Fixture("model.zip"));
        double perplexity = ml.LowRank().Evaluate(model.Transform(ml.LowRank().Data.LoadFromTexts(Texts))).Perplexity;
        // Relative 1e-6, not bit-identity: the expected value was measured on another CPU, whose float32 kernels sum in
        // another order (this machine gives 46.766252421 for 46.766252821, 8.5e-9 apart, at the commit that wrote the
        // fixture too). A weight read wrongly moves the perplexity by far more than 1e-6.
        perplexity.Should().BeApproximately(Expected().Perplexity, 1e-6 * Expected().Perplexity);
        model.GetLanguageModel().Dispose();
    }

    [Fact]
    public void A_version_1_checkpoint_resumes_to_the_uninterrupted_losses_and_refuses_other_options() =>
        ArtefactChecks.ResumesToLosses(Fixture("checkpoint-step3.ckpt"), Texts, Options, Expected().Losses);

    [Fact]
    public void A_run_directory_from_before_is_the_same_experiment_and_trains_nothing_again()
    {
        using var dir = new TempDirectory("lowrank-legacy-");
        string runDir = Path.Combine(dir.Path, "rundir");
        ArtefactChecks.CopyDirectory(Fixture("rundir"), runDir);
        var before = Directory.GetFiles(Path.Combine(runDir, "trials")).ToDictionary(f => f, File.ReadAllText);
        var ml = new MLContext(seed: 1);
        var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadFromTexts(Texts), validationFraction: 0.25);
        var result = ml.LowRank().CreateExperiment().SetPipeline(LmTokenizer.Bytes(), Options())
            .SetDataset(split.Train, split.Validation)
            .SetTrials([new Dictionary<string, string> { ["MatrixLearningRate"] = "0.02", ["MlpRank"] = "Linear:4:8" },
            new Dictionary<string, string> { ["MatrixLearningRate"] = "0.04", ["HeadRank"] = "8" }])
            .SetTrialBudget(steps: 4).SetResultDirectory(runDir)
            .RunAsync().GetAwaiter().GetResult();
        result.Trials.Should().HaveCount(2);
        Directory.GetFiles(Path.Combine(runDir, "trials")).ToDictionary(f => f,
            File.ReadAllText).Should().Equal(before, "both trials were finished: none is trained or rewritten");
        File.ReadAllText(Path.Combine(runDir, "experiment.json")).Should()
            .Contain("\"data.train\"", "a directory made before the data was recorded adopts this run's and records " +
            "it");

        // The same directory with an option the old format never recorded, changed from its default, is another
        // experiment.
        var changed = Options();
        changed.Model = changed.Model with { RopeBase = 500 };
        FluentActions.Invoking(() => ml.LowRank().CreateExperiment().SetPipeline(LmTokenizer.Bytes(),
            changed).SetDataset(split.Train, split.Validation)
                .SetTrials([new Dictionary<string, string> { ["MatrixLearningRate"] = "0.02" }])
            .SetTrialBudget(steps: 4).SetResultDirectory(runDir).RunAsync().GetAwaiter().GetResult())
            .Should().Throw<InvalidOperationException>().WithMessage("*baseline.RopeBase*500*10000*");
    }
}
