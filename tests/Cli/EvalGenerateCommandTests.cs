// `lowrank train --save`, then `lowrank eval` and `lowrank generate` on the saved zip, as real child processes: the
// figures and text they print are the library's own for the same model and split.
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Cli;

[Collection(ChildProcessCollection.Name)]
public class EvalGenerateCommandTests
{
    [Fact]
    public void Eval_and_generate_print_what_the_library_computes_for_the_saved_model()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        try
        {
            var (code,
                output) = SweepFixture
                .Run(dir, "train", "--corpus", "corpus.jsonl", "--steps", "20", "--eval-every", "0", "--save", "model.zip",
                "--set", "Depth=2", "ModelDim=32", "HeadDim=16", "SequenceLength=32", "BatchSize=4", "AttentionRank=8", "MlpRank=8");
            code.Should().Be(0, output);
            File.Exists(Path.Combine(dir, "model.zip")).Should().BeTrue();

            (code, output) = SweepFixture.Run(dir, "eval", "--model", "model.zip", "--corpus", "corpus.jsonl");
            code.Should().Be(0, output);
            var printed =
                Regex.Match(output, @"perplexity (\d+\.\d+), cross-entropy (\d+\.\d+) nats/token, (\d+\.\d+) bits/byte");
            printed.Success.Should().BeTrue(output);

            var ml = new MLContext(seed: 1);
            var model = ml.LowRank().LoadModel(Path.Combine(dir, "model.zip"));
            var split =
                ml.LowRank().Data
                .SplitByDocument(ml.LowRank().Data.LoadJsonl(Path.Combine(dir, "corpus.jsonl"), "text"), 0.1);
            var metrics = ml.LowRank().Evaluate(model.Transform(split.Validation));
            double.Parse(printed.Groups[1].Value,
                CultureInfo.InvariantCulture).Should().BeApproximately(metrics.Perplexity, 0.0006);
            double.Parse(printed.Groups[3].Value,
                CultureInfo.InvariantCulture).Should().BeApproximately(metrics.BitsPerByte, 0.00006);

            (code, output) = SweepFixture
                .Run(dir, "generate", "--model", "model.zip", "--prompt", "The " +
                "quick", "--max-tokens", "24", "--temperature", "0");
            code.Should().Be(0, output);
            var lm = model.GetLanguageModel();
            output.TrimEnd('\n',
                '\r').Should().Be("The quick" + lm.Generate("The quick", maxTokens: 24, temperature: 0));

            // export: safetensors + config that the library imports back to the same logits.
            (code, output) = SweepFixture.Run(dir, "export", "--model", "model.zip", "--out", "model.safetensors");
            code.Should().Be(0, output);
            using (var imported = MLNet.LowRank.Model.GptExport.Load(Path.Combine(dir, "model.safetensors")))
            using (TorchSharp.torch.no_grad())
            using (var idx = TorchSharp.torch.tensor(new long[] { 1, 2, 3, 4 }, 1, 4))
            using (var a = imported.forward(idx))
            using (var b = lm.Model.forward(idx))
                a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
            File.Exists(Path.Combine(dir, "model.json")).Should().BeTrue();

            var sampled =
                SweepFixture
                .Run(dir, "generate", "--model", "model.zip", "--prompt", "The", "--max-tokens", "24", "--seed", "5");
            SweepFixture
                .Run(dir, "generate", "--model", "model.zip", "--prompt", "The", "--max-tokens", "24", "--seed", "5")
                .Output.Should().Be(sampled.Output, "the same seed gives the same text");
            lm.Dispose();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_model_trained_from_shards_evaluates_on_their_validation_split_and_on_a_corpus()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        var (code,
            output) = SweepFixture
            .Run(dir, "tokenize", "--input", "corpus.jsonl", "--out", "shards", "--validation-fraction", "0.2", "--shard-tokens", "1024");
        code.Should().Be(0, output);
        (code, output) = SweepFixture
            .Run(dir, "train", "--shards", "shards", "--steps", "5", "--eval-every", "0", "--save", "model.zip",
            "--set", "Depth=2", "ModelDim=32", "HeadDim=16", "SequenceLength=32", "BatchSize=4");
        code.Should().Be(0, output);

        (code, output) = SweepFixture.Run(dir, "eval", "--model", "model.zip", "--shards", "shards");
        code.Should().Be(0, output);
        var onShards = Regex.Match(output, @"perplexity (\d+\.\d+)");
        onShards.Success.Should().BeTrue(output);
        // The library's own figure for the same model and split.
        var ml = new MLContext(seed: 1);
        using (var lm = ml.LowRank().LoadModel(Path.Combine(dir, "model.zip")).GetLanguageModel())
        using (var validation = ml.LowRank().Data.LoadTokenShards(Path.Combine(dir, "shards"), "validation"))
            double.Parse(onShards.Groups[1].Value,
                CultureInfo.InvariantCulture).Should()
                .BeApproximately(ml.LowRank().Evaluate(lm.Transform(validation)).Perplexity, 0.0006);

        (code, output) = SweepFixture.Run(dir, "eval", "--model", "model.zip", "--corpus", "corpus.jsonl");
        code.Should().Be(0, output);
        output.Should().Contain("perplexity", "the model's own tokenizer reads the corpus");

        // Shards of another tokenizer are refused, naming both.
        (code, output) = SweepFixture
            .Run(dir, "tokenize", "--input", "corpus.jsonl", "--out", "bpe-shards", "--tokenizer", "bpe:300", "--validation-fraction", "0.2", "--shard-tokens", "1024");
        code.Should().Be(0, output);
        (code, output) = SweepFixture.Run(dir, "eval", "--model", "model.zip", "--shards", "bpe-shards");
        code.Should().Be(2, output);
        output.Should().Contain("its tokens are of tokenizer").And.Contain("the model's are of");
    }
}
