// What users of the build before the experiment-spec refactor have keeps working: its model zip, export, checkpoint and
// sweep run directory (tests/Fixtures/Release, see its README) load, resume, and are recognised as finished.
using System.Text.Json;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Compatibility;

[Collection(ChildProcessCollection.Name)]
public class ReleaseArtefactTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Release", name);

    static string[] Texts =>
        File.ReadLines(Fixture("corpus.jsonl")).Select(l =>
        JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();

    /// <summary>make.cs's options, in today's form.</summary>
    static LowRankLmTrainer.Options Options() => new()
    {
        Model = new() { Depth = 2, ModelDim = 16, HeadDim = 8, SequenceLength = 16, Variant = LinearVariant.Factored,
            AttentionRank = 4, MlpRank = RankSchedule.Linear(4, 8), HeadRank = 8 },
        Training = new() { BatchSize = 2, MaxSteps = 6, EvalEvery = 3, EvalTokens = 0, MatrixLearningRate = 0.03,
            WarmdownFraction = 0.5, MuonMomentumWarmupSteps = 2, CheckpointEverySteps = 3 },
        Seed = 5,
    };

    static (double[] Losses, double Perplexity) Expected() => ArtefactChecks.Expected(Fixture("expected.json"));

    [Fact]
    public void The_model_zip_scores_as_it_did_and_its_export_holds_the_same_model()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.LowRank().LoadModel(Fixture("model.zip"));
        double perplexity = ml.LowRank().Evaluate(model.Transform(ml.LowRank().Data.LoadFromTexts(Texts))).Perplexity;
        // Relative 1e-6: another CPU's float32 kernels may sum in another order; a weight read wrongly moves it far
        // more.
        perplexity.Should().BeApproximately(Expected().Perplexity, 1e-6 * Expected().Perplexity);

        using var lm = model.GetLanguageModel();
        using var exported = GptExport.Load(Fixture("export.safetensors"));
        // Ranks come back as per-block schedules named "exported", so they are compared block by block.
        static string WithoutRanks(GptConfig c) => string.Join(";",
            OptionTable.DescribePart(c).Split(';').Where(kv => !kv.Contains("Rank=")));
        WithoutRanks(exported.Config).Should().Be(WithoutRanks(lm.Model.Config));
        static int[] Ranks(GptConfig c) => [.. Enumerable.Range(0,
            c.Depth).SelectMany(i => new[] { c.AttentionRankAt(i), c.MlpRankAt(i) }), c.HeadRankValue];
        Ranks(exported.Config).Should().Equal(Ranks(lm.Model.Config)).And.Equal(4, 4, 4, 8, 8);
        var ours = lm.Model.state_dict();
        foreach (var (name, weight) in exported.state_dict())
            weight.allclose(ours[name], rtol: 0, atol: 0).Should().BeTrue($"weight {name} is exported as saved");
    }

    [Fact]
    public void The_checkpoint_resumes_to_the_uninterrupted_losses_and_refuses_other_options() =>
        ArtefactChecks.ResumesToLosses(Fixture("checkpoint-step3.ckpt"), Texts, Options, Expected().Losses);

    [Fact]
    public void The_sweep_config_resumes_its_run_directory_and_trains_nothing()
    {
        using var dir = new TempDirectory("lowrank-release-");
        ArtefactChecks.CopyDirectory(Fixture("rundir"), Path.Combine(dir.Path, "rundir"));
        File.Copy(Fixture("sweep.json"), Path.Combine(dir.Path, "sweep.json"));
        File.Copy(Fixture("corpus.jsonl"), Path.Combine(dir.Path, "corpus.jsonl"));
        string trials = Path.Combine(dir.Path, "rundir", "trials");
        var before = Directory.GetFiles(trials).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

        var (code, output) = SweepFixture.Run(dir.Path, "sweep", "--config", "sweep.json", "--run-dir", "rundir");

        code.Should().Be(0, output);
        output.Split('\n').Count(l => l.Contains("already done")).Should().Be(4, output);
        output.Should().NotContain("running");
        Directory.GetFiles(trials).ToDictionary(f => Path.GetFileName(f),
            File.ReadAllText).Should().Equal(before, "every trial was finished: none is trained or rewritten");
    }
}
