// A tiny ML.NET pipeline for tests: in-memory documents, byte-level or small BPE tokens, a dim-32 depth-2 model.
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Estimators;

static class LmPipeline
{
    public static readonly string[] Texts = Enumerable.Range(0, 24).Select(i =>
        $"Document {i}: the quick brown fox jumps over the lazy dog {i % 5} times. Café naïve " +
        $"中文 {(i % 3 == 0 ? "🚀" : "")} and so on.").ToArray();

    public static LowRankLmTrainer.Options Options(int steps = 15) => new()
    {
        Model = new() { Depth = 2, ModelDim = 32, HeadDim = 16, SequenceLength = 32, AttentionRank = 8, MlpRank = 8,
            Variant = LinearVariant.Factored },
        Training = new() { BatchSize = 4, MaxSteps = steps, EvalEvery = 0 },
        Seed = 3,
    };

    public static IEstimator<ITransformer> Build(MLContext ml, LmTokenizerFactory? tokenizer = null,
        LowRankLmTrainer.Options? options = null) =>
        ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", tokenizer ?? LmTokenizer.Bytes())
            .Append(ml.LowRank().Trainers.LowRankLm(options ?? Options()));
}
