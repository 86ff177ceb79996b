using System.Text.Json;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Reliability;

// An identifier read from a file must never name a path outside the run directory: a trial record whose Id is
// "../../victim" once made the next sweep delete victim.zip two levels up (after copying it into best.zip).
public class ForgedRecordTests
{
    static LowRankExperiment Sweep(MLContext ml, string dir)
    {
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        return ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps: 2))
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(new SearchSpace().Add("MatrixLearningRate", "0.02"))
            .SetGridSearch()
            .SetModelDirectory(Path.Combine(dir, "run", "models"))
            .SetResultDirectory(Path.Combine(dir, "run"));
    }

    [Theory]
    [InlineData("../../victim")]
    [InlineData("/tmp/victim")]
    [InlineData("trial-000-0000000000000000/../../../victim")]
    [InlineData("trial-001-0123456789abcdef")] // a well-formed id that is not its own file's name
    public async Task A_record_whose_Id_is_not_its_file_name_is_ignored_and_nothing_outside_is_touched(string forgedId)
    {
        using var temp = new TempDirectory("forged-");
        string dir = temp.Path;
        var ml = new MLContext(seed: 1);
        var first = await Sweep(ml, dir).RunAsync();
        var real = first.Trials.Single();

        // Victims: where the forged Id points (relative to the models folder), with bytes that must survive.
        string victim = Path.GetFullPath(Path.Combine(dir, "run", "models",
            forgedId.StartsWith('/') ? Path.Combine(dir, "victim") : forgedId) + ".zip");
        if (forgedId.StartsWith('/')) forgedId = Path.Combine(dir, "victim");
        Directory.CreateDirectory(Path.GetDirectoryName(victim)!);
        File.WriteAllBytes(victim, [1, 2, 3]);
        // The forged record: a copy of the real one, better than it, under another file name, with the forged Id.
        var forged = real with { Id = forgedId, Index = 7, Perplexity = 1.0001, CrossEntropy = 0.0001 };
        string forgedFile = Path.Combine(dir, "run", "trials", "trial-007-00000000000000aa.json");
        File.WriteAllText(forgedFile, JsonSerializer.Serialize(forged));

        var store = new ResultStore(Path.Combine(dir, "run"));
        store.ReadAll().Select(r => r.Id).Should().Equal(real.Id);
        store.Unreadable.Should().ContainSingle().Which.Reason.Should()
            .Contain("is not the trial id its file name gives");

        var again = await Sweep(ml, dir).RunAsync();
        again.Trials.Select(t => t.Id).Should().Equal(real.Id);
        File.ReadAllBytes(victim).Should().Equal([1, 2,
            3], "a file outside the run directory is never deleted or replaced");
        File.Exists(forgedFile).Should().BeTrue("the forged file itself is left for the user to inspect");
        ml.LowRank().LoadModel(Path.Combine(dir, "run", "models", "best.zip")).Should()
            .NotBeNull("best.zip still holds the real trial's model");
    }

    [Fact]
    public void A_best_json_naming_a_path_is_ignored()
    {
        TrialKey.IsFileId("trial-000-0123456789abcdef").Should().BeTrue();
        foreach (var bad in new[] { "../x", "trial-000-0123456789ABCDEF", "trial-000-0123456789abcdef.zip", "trial-0-0123456789abcdef", "", " trial-000-0123456789abcdef" })
            TrialKey.IsFileId(bad).Should().BeFalse(bad);
        FluentActions.Invoking(() => new ResultStore(Path.GetTempPath()).CheckpointOf("../../etc/passwd"))
            .Should().Throw<ArgumentException>().WithMessage("*not a trial id*");
    }
}
