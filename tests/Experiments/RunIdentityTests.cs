// A run directory is identified by what its trials were trained on, not only by their options: rerunning into it with
// other documents, another validation split or another extension build is refused with the difference named.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Experiments;

public class RunIdentityTests
{
    static LowRankExperiment Experiment(MLContext ml, string dir, IEnumerable<string> texts, double validationFraction,
        LinearVariant? variant = null)
    {
        var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadFromTexts(texts), validationFraction);
        var baseline = LmPipeline.Options(steps: 1);
        if (variant is not null) baseline.Model = baseline.Model with { Variant = variant };
        return ml.LowRank().CreateExperiment().SetPipeline(LmTokenizer.Bytes(), baseline).SetDataset(split.Train,
            split.Validation)
            .SetTrials([new Dictionary<string, string> { ["MatrixLearningRate"] = "0.02" }]).SetResultDirectory(dir);
    }

    [Fact]
    public async Task Other_documents_or_another_split_in_the_same_run_directory_are_refused_naming_the_difference()
    {
        using var dir = new TempDirectory("lowrank-identity-");
        var ml = new MLContext(seed: 1);
        var texts = LmPipeline.Texts;
        (await Experiment(ml, dir.Path, texts, 0.25).RunAsync()).Should().HaveCount(1);
        (await Experiment(ml, dir.Path, texts, 0.25).RunAsync()).Should().HaveCount(1, "the same data resumes");

        var edited = texts.Select((t, i) => i == 5 ? t + " One more sentence." : t).ToArray();
        await FluentActions.Awaiting(() => Experiment(ml, dir.Path, edited,
            0.25).RunAsync()).Should().ThrowAsync<InvalidOperationException>().WithMessage("*data.*documents*");
        await FluentActions.Awaiting(() => Experiment(ml, dir.Path, texts,
            0.5).RunAsync()).Should().ThrowAsync<InvalidOperationException>().WithMessage("*data.validation*");
        File.ReadAllText(Path.Combine(dir.Path, "experiment.json")).Should().Contain("\"data.train\"").And
            .Contain("\"tokenizerFingerprint\"").And.Contain("\"extensions\": \"none\"");
    }

    [Fact]
    public void The_assembly_of_an_extension_the_trials_use_is_part_of_the_fingerprint()
    {
        using var dir = new TempDirectory("lowrank-identity-ext-");
        var ml = new MLContext(seed: 1);
        var f = Experiment(ml, dir.Path, LmPipeline.Texts, 0.25, new ScaledFactoredVariant()).Fingerprint();
        f["extensions"].Should().MatchRegex(@"^MLNet\.LowRank\.Tests sha256:[0-9a-f]{16}$");
        Experiment(ml, dir.Path, LmPipeline.Texts, 0.25).Fingerprint()["extensions"].Should().Be("none");
    }
}
