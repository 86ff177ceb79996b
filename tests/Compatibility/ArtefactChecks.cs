// What every fixture of an earlier release is checked for, written once: a checkpoint resumes to the uninterrupted
// run's losses and refuses other options; fixture folders are copied before a test writes into them.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;

namespace MLNet.LowRank.Tests.Compatibility;

static class ArtefactChecks
{
    /// <summary>Resumes a copy of <paramref name="fixtureCheckpoint"/> on <paramref name="texts"/>: with a changed Muon
    /// rate it is refused as a different run; with <paramref name="options"/> it finishes with
    /// <paramref name="losses"/>.</summary>
    public static void ResumesToLosses(string fixtureCheckpoint, string[] texts,
        Func<LowRankLmTrainer.Options> options, double[] losses)
    {
        using var dir = new TempDirectory("lowrank-artefact-");
        string checkpoint = Path.Combine(dir.Path, "run.ckpt");
        File.Copy(fixtureCheckpoint, checkpoint);
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(texts);
        var pipeline = (LowRankLmTrainer.Options o) => ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Bytes()).Append(ml.LowRank().Trainers.LowRankLm(o));

        var other = options();
        other.Training = other.Training with { CheckpointPath = checkpoint, Resume = true, MatrixLearningRate = 0.05 };
        FluentActions.Invoking(() =>
            pipeline(other).Fit(docs)).Should().Throw<InvalidOperationException>().WithMessage("*different run*");

        var same = options();
        same.Training = same.Training with { CheckpointPath = checkpoint, Resume = true };
        using var lm = pipeline(same).Fit(docs).GetLanguageModel();
        lm.History.Select(h => h.TrainLoss).Should().Equal(losses, (a, b) => Math.Abs(a - b) <= 1e-6 * Math.Abs(b));
    }

    /// <summary>An expected.json: the uninterrupted run's training losses and the model's perplexity on its texts.</summary>
    public static (double[] Losses, double Perplexity) Expected(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return (doc.RootElement.GetProperty("Losses").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
            doc.RootElement.GetProperty("Perplexity").GetDouble());
    }

    /// <summary>Copies a folder and everything in it.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
