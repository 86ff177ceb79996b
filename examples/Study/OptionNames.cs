// The trainer options the study names in its trials' parameters, through nameof: a renamed option breaks the build
// here instead of silently naming nothing.
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Examples.Study;

public static class OptionNames
{
    public const string MatrixLearningRate = nameof(TrainingOptions.MatrixLearningRate);
    public const string EmbeddingLearningRate = nameof(TrainingOptions.EmbeddingLearningRate);
    public const string HeadLearningRate = nameof(TrainingOptions.HeadLearningRate);
    public const string DataSeed = nameof(TrainingOptions.DataSeed);
    public const string Seed = nameof(LowRankLmTrainer.Options.Seed);
    public const string AttentionRank = nameof(GptConfig.AttentionRank);
    public const string MlpRank = nameof(GptConfig.MlpRank);
    public const string Depth = nameof(GptConfig.Depth);
    public const string Variant = nameof(GptConfig.Variant);
    public const string ModelDim = nameof(GptConfig.ModelDim);
}
