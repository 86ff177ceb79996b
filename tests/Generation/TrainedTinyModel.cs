// One tiny byte-level model (LmPipeline: dim 32, depth 2, context 32) trained once and shared by a test class.
using Microsoft.ML;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Tests.Generation;

public sealed class TrainedTinyModel : IDisposable
{
    public TrainedTinyModel()
    {
        Ml = new MLContext(seed: 1);
        Pipeline = LmPipeline.Build(Ml,
            options: LmPipeline.Options(steps: 30)).Fit(Ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts));
        Lm = Pipeline.GetLanguageModel();
    }

    public MLContext Ml { get; }
    public ITransformer Pipeline { get; }
    public LowRankLmTransformer Lm { get; }

    public void Dispose() => Lm.Dispose();
}
