// TensorBoard files read back by an independent reader: record framing, both checksums (recomputed bit by bit, not with
// the library's table), the Event protobufs, and the scalars a run and a sweep wrote.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Training;
using Tensorboard;

namespace MLNet.LowRank.Tests.Training;

public class TensorBoardTests
{
    /// <summary>CRC-32C one bit at a time (the library uses a table).</summary>
    static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    /// <summary>Every event of every events file under <paramref name="directory"/>, each record's checksums
    /// verified.</summary>
    public static List<Event> ReadEvents(string directory)
    {
        var events = new List<Event>();
        foreach (var path in Directory.GetFiles(directory, "events.out.tfevents.*").Order())
        {
            byte[] bytes = File.ReadAllBytes(path);
            int at = 0;
            while (at < bytes.Length)
            {
                (bytes.Length - at).Should()
                    .BeGreaterThanOrEqualTo(12, "a record starts with its length and the length's checksum");
                var header = bytes.AsSpan(at, 8);
                ulong length = BitConverter.ToUInt64(header);
                BitConverter.ToUInt32(bytes,
                    at + 8).Should()
                    .Be(Mask(BitwiseCrc32C(header)), $"length checksum at byte {at} of {Path.GetFileName(path)}");
                var data = bytes.AsSpan(at + 12, (int)length);
                BitConverter.ToUInt32(bytes,
                    at + 12 + (int)length).Should().Be(Mask(BitwiseCrc32C(data)), $"data checksum at byte {at}");
                events.Add(Event.Parser.ParseFrom(data.ToArray()));
                at += 12 + (int)length + 4;
            }
        }
        return events;
    }

    static IEnumerable<(long Step, float Value, double WallTime)> Scalars(IEnumerable<Event> events, string tag) =>
        events.Where(e => e.Summary is not null).SelectMany(e =>
        e.Summary.Value.Where(v => v.Tag == tag).Select(v => (e.Step, v.SimpleValue, e.WallTime)));

    [Fact]
    public void The_checksum_is_CRC32C()
    {
        Crc32C.Compute("123456789"u8).Should().Be(0xE3069283u, "the standard check value of CRC-32C");
        Crc32C.Compute("123456789"u8).Should().Be(BitwiseCrc32C("123456789"u8));
    }

    [Fact]
    public void A_run_writes_its_curves_and_options_for_TensorBoard()
    {
        string dir = Directory.CreateTempSubdirectory("tb-").FullName;
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        var options = LmPipeline.Options(steps: 12);
        options.Training = options.Training with { EvalEvery = 4 };
        options.ValidationSet = split.Validation;
        options.LogDirectory = dir;
        double start = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        using var lm = LmPipeline.Build(ml, options: options).Fit(split.Train).GetLanguageModel();
        double end = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

        var events = ReadEvents(dir);
        events[0].FileVersion.Should().Be("brain.Event:2");
        var loss = Scalars(events, "train/loss").ToList();
        loss.Select(s => s.Step).Should().Equal(Enumerable.Range(1, 12).Select(i => (long)i));
        loss.Select(s => s.Value).Should().Equal(lm.History.Select(h => (float)h.TrainLoss));
        loss.Should().OnlyContain(s => s.WallTime >= start - 1 && s.WallTime <= end + 1, "wall time is Unix seconds");
        loss.Select(s => s.WallTime).Should().BeInAscendingOrder();
        Scalars(events, "train/lr_factor").Select(s =>
            s.Value).Should().Equal(lm.History.Select(h => (float)h.LrFactor));
        Scalars(events, "train/grad_norm").Should().HaveCount(12);
        Scalars(events, "train/tokens_per_second").Should().HaveCount(12);
        Scalars(events, "validation/perplexity").Select(s => s.Step).Should().Equal(4, 8, 12);
        Scalars(events, "validation/perplexity").Last().Value.Should()
            .BeApproximately((float)lm.History[^1].ValidationPerplexity!.Value, 1e-3f);
        Scalars(events, "validation/bits_per_byte").Should().HaveCount(3);
        var text =
            events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).Single(v =>
            v.Tag == "options/text_summary");
        text.Metadata.PluginData.PluginName.Should().Be("text", "TensorBoard shows it in its Text tab");
        text.Tensor.StringVal[0].ToStringUtf8().Should().Contain("| MatrixLearningRate | 0.02 |");
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_sweep_writes_one_run_per_trial_with_its_hyper_parameters_and_final_figures()
    {
        string dir = Directory.CreateTempSubdirectory("tb-sweep-").FullName;
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        var result = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps: 6))
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(new SearchSpace().Add("AttentionRank", "4", "8").Add("WarmupSteps", "0", "2"))
            .SetGridSearch()
            .SetLogDirectory(Path.Combine(dir, "tb"))
            .SetResultDirectory(dir)
            .RunAsync();
        Directory.GetDirectories(Path.Combine(dir, "tb")).Select(Path.GetFileName).Should()
            .BeEquivalentTo(result.Trials.Select(t => t.Id));
        foreach (var trial in result.Trials)
        {
            var events = ReadEvents(Path.Combine(dir, "tb", trial.Id));
            Scalars(events, "train/loss").Should().HaveCount(6);
            Scalars(events, "final/perplexity").Single().Value.Should().BeApproximately((float)trial.Perplexity!.Value,
                1e-4f * (float)trial.Perplexity.Value);
            Scalars(events, "final/non_embedding_parameters").Single().Value.Should().Be(trial.NonEmbeddingParameters);
            string hparams =
                events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).Single(v =>
                v.Tag == "trial/text_summary").Tensor.StringVal[0].ToStringUtf8();
            hparams.Should().Contain($"| AttentionRank | {trial.Parameters["AttentionRank"]} |").And
                .Contain($"| WarmupSteps | {trial.Parameters["WarmupSteps"]} |");
        }
        Directory.Delete(dir, true);
    }
}
