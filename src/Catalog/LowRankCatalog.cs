// The entry point in ML.NET style: `mlContext.LowRank()` gives data loaders, the trainer, Evaluate and LoadModel;
// `mlContext.Transforms.Text.TokenizeForLanguageModel(...)` is the tokenizer stage.
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank;

/// <summary>Extension methods that hang MLNet.LowRank off ML.NET's catalogs.</summary>
public static class MLContextExtensions
{
    /// <summary>The MLNet.LowRank catalog of <paramref name="mlContext"/>.</summary>
    public static LowRankCatalog LowRank(this MLContext mlContext) => new(mlContext);

    /// <summary>Text → token ids for language modelling. <paramref name="tokenizer"/> is e.g. <c>LmTokenizer.Bpe(4096)</c>
    /// (trained on the input texts at fit time), <c>LmTokenizer.Gpt2()</c> or <c>LmTokenizer.Bytes()</c>.</summary>
    public static LmTokenizerEstimator TokenizeForLanguageModel(this TransformsCatalog.TextTransforms catalog,
        string outputColumnName, string inputColumnName, LmTokenizerFactory tokenizer) =>
        new(outputColumnName, inputColumnName, tokenizer);

    /// <summary>The language model at the end of a fitted or loaded pipeline.</summary>
    /// <exception cref="ArgumentException">The pipeline has no <see cref="LowRankLmTransformer"/>.</exception>
    public static LowRankLmTransformer GetLanguageModel(this ITransformer model) => model switch
    {
        LowRankLmTransformer lm => lm,
        IEnumerable<ITransformer> chain when chain.OfType<LowRankLmTransformer>().LastOrDefault() is { } lm => lm,
        _ => throw new ArgumentException("This model has no LowRankLm stage.", nameof(model)),
    };
}

/// <summary>Data, trainers, evaluation and loading for low-rank language models.</summary>
public sealed class LowRankCatalog
{
    readonly MLContext ml;

    internal LowRankCatalog(MLContext ml)
    {
        this.ml = ml;
        // So that mlContext.Model.Load on one of our zips reaches our refusal (naming LoadModel), not a generic error.
        ml.ComponentCatalog.RegisterAssembly(typeof(LowRankCatalog).Assembly);
        Data = new LowRankDataCatalog(ml);
        Trainers = new LowRankTrainers(ml);
    }

    /// <summary>Corpus loaders and the document split.</summary>
    public LowRankDataCatalog Data { get; }

    /// <summary>The LowRankLm trainer.</summary>
    public LowRankTrainers Trainers { get; }

    /// <summary>Perplexity, cross-entropy, bits per byte and per token of a scored set (<c>model.Transform(validation)</c>).</summary>
    public LanguageModelMetrics Evaluate(IDataView scored) => LanguageModelEvaluator.Evaluate(scored);

    /// <summary>Loads a model saved by <c>mlContext.Model.Save</c>, weights included: every MLNet.LowRank stage, in order.</summary>
    /// <exception cref="InvalidDataException">The file is not such a model, is truncated or corrupted, or is of a newer format.</exception>
    public ITransformer LoadModel(string path) => ModelPersistence.Load(path);

    /// <summary>A sweep over trainer options, shaped like ML.NET AutoML's AutoMLExperiment.</summary>
    public Experiments.LowRankExperiment CreateExperiment() => new(ml);
}

/// <summary>Trainers of <see cref="LowRankCatalog"/>.</summary>
public sealed class LowRankTrainers
{
    readonly IHostEnvironment env;
    internal LowRankTrainers(IHostEnvironment env) => this.env = env;

    /// <summary>Pre-trains a baseline or low-rank GPT on the token column.</summary>
    public LowRankLmTrainer LowRankLm(LowRankLmTrainer.Options options) => new(env, options);
}
