// Small models and data for tests: dim 32–64, depth 2, so every test runs in seconds.
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests;

static class Tiny
{
    public const int Vocab = 64;

    public static GptConfig Config(LinearVariant? variant = null, RankSchedule? attentionRank = null,
        RankSchedule? mlpRank = null) => new()
    {
        VocabSize = Vocab,
        Depth = 2,
        ModelDim = 32,
        HeadDim = 16,
        SequenceLength = 16,
        Variant = variant ?? LinearVariant.Factored,
        AttentionRank = attentionRank,
        MlpRank = mlpRank,
    };

    /// <summary>A stream of pseudo-random documents over token ids 1 … Vocab−1 (0 is BOS).</summary>
    public static TokenStream Stream(int documents = 20, int length = 50, int seed = 7)
    {
        var random = new Random(seed);
        var docs = Enumerable.Range(0,
            documents).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0,
            length).Select(_ => random.Next(1, Vocab)).ToArray());
        return new TokenStream(docs, bosToken: 0);
    }

    public static int[] BytesPerToken => Enumerable.Range(0, Vocab).Select(i => i == 0 ? 0 : 1).ToArray();

    public static TrainingOptions Options(int steps) => new()
    {
        MaxSteps = steps,
        BatchSize = 4,
        EvalEvery = 0,
        DataSeed = 3,
    };
}
