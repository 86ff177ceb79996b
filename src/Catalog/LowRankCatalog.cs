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

    /// <summary>Text → token ids for language modelling. <paramref name="tokenizer"/> is e.g.
    /// <c>LmTokenizer.Bpe(4096)</c> (trained on the input texts at fit time), <c>LmTokenizer.Gpt2()</c> or
    /// <c>LmTokenizer.Bytes()</c>.</summary>
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
        Transforms = new LowRankTransforms();
    }

    /// <summary>Transforms that use a trained language model: text generation.</summary>
    public LowRankTransforms Transforms { get; }

    /// <summary>Corpus loaders and the document split.</summary>
    public LowRankDataCatalog Data { get; }

    /// <summary>The LowRankLm trainer.</summary>
    public LowRankTrainers Trainers { get; }

    /// <summary>Perplexity, cross-entropy, bits per byte and per token of a scored set
    /// (<c>model.Transform(validation)</c>).</summary>
    public LanguageModelMetrics Evaluate(IDataView scored) => LanguageModelEvaluator.Evaluate(scored);

    /// <summary>Saves <paramref name="model"/> as <c>mlContext.Model.Save</c> does, but through a temporary file beside
    /// <paramref name="path"/> and a rename: ML.NET's own Save opens the target with <c>File.Create</c>, so a kill or a
    /// full disk mid-save destroys the previous model; here the previous file stays whole until the new one
    /// is.</summary>
    public void SaveModel(ITransformer model, DataViewSchema? inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        Common.AtomicFile.Write(path, stream => ml.Model.Save(model, inputSchema, stream));
    }

    /// <summary>Loads a model saved by <c>mlContext.Model.Save</c>, weights included: every MLNet.LowRank stage, in
    /// order, onto the device <c>MLContext.GpuDeviceId</c> / <c>FallbackToCpu</c> choose (the CPU by
    /// default).</summary>
    /// <exception cref="InvalidDataException">The file is not such a model, is truncated or corrupted, or is of a newer
    /// format.</exception>
    public ITransformer LoadModel(string path) => ModelPersistence.Load(path, Runtime.TorchRuntime.DeviceFor(ml),
        out _);

    /// <summary>As <see cref="LoadModel(string)"/>, giving back the input schema the model was saved with (as
    /// <c>mlContext.Model.Load</c> does; null when it was saved without one).</summary>
    public ITransformer LoadModel(string path, out DataViewSchema? inputSchema) => ModelPersistence.Load(path,
        Runtime.TorchRuntime.DeviceFor(ml), out inputSchema);

    /// <summary>Loads a model from a stream (a zip written by <c>mlContext.Model.Save</c>); the stream is left
    /// open.</summary>
    public ITransformer LoadModel(Stream stream,
        out DataViewSchema? inputSchema) => ModelPersistence.Load(stream, "the model stream",
        Runtime.TorchRuntime.DeviceFor(ml), out inputSchema);

    /// <summary>Loads a model from a stream, ignoring the saved input schema; the stream is left open.</summary>
    public ITransformer LoadModel(Stream stream) => ModelPersistence.Load(stream, "the model stream",
        Runtime.TorchRuntime.DeviceFor(ml), out _);

    /// <summary>A sweep over trainer options, shaped like ML.NET AutoML's AutoMLExperiment.</summary>
    public Experiments.LowRankExperiment CreateExperiment() => new(ml);
}

/// <summary>Transforms of <see cref="LowRankCatalog"/>.</summary>
public sealed class LowRankTransforms
{
    internal LowRankTransforms() { }

    /// <summary>Adds <paramref name="outputColumnName"/>, the continuation of each row's
    /// <paramref name="inputColumnName"/> generated by <paramref name="model"/> (e.g. <c>fitted.GetLanguageModel()</c>)
    /// as <paramref name="options"/> say (default <see cref="Generation.GenerationOptions"/>). Works with Transform and
    /// with PredictionEngine.</summary>
    public TextGenerationEstimator GenerateText(LowRankLmTransformer model, string outputColumnName = "Completion",
        string inputColumnName = "Prompt",
        Generation.GenerationOptions? options = null) => new(model, outputColumnName, inputColumnName, options);
}

/// <summary>Trainers of <see cref="LowRankCatalog"/>.</summary>
public sealed class LowRankTrainers
{
    readonly IHostEnvironment env;
    internal LowRankTrainers(IHostEnvironment env) => this.env = env;

    /// <summary>Pre-trains a baseline or low-rank GPT on the token column.</summary>
    public LowRankLmTrainer LowRankLm(LowRankLmTrainer.Options options) => new(env,
        options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Pre-trains a GPT with the common options as arguments; an argument left null keeps its declared default
    /// (model-spec's: <see cref="Model.GptConfig"/>, <see cref="Training.TrainingOptions"/>), and a null rank leaves
    /// that group dense. One of <paramref name="maxSteps"/>, <paramref name="maxTokens"/>,
    /// <paramref name="maxSeconds"/> is required. <see cref="LowRankLm(LowRankLmTrainer.Options)"/> takes every
    /// option.</summary>
    public LowRankLmTrainer LowRankLm(string tokensColumnName = "Tokens", int? depth = null, int? modelDim = null,
        int? headDim = null,
        int? sequenceLength = null, Model.RankSchedule? attentionRank = null, Model.RankSchedule? mlpRank = null,
        Model.LinearVariant? variant = null, int? maxSteps = null, long? maxTokens = null, double? maxSeconds = null,
        double? matrixLearningRate = null, int? batchSize = null, IDataView? validationSet = null)
    {
        var model = new Model.GptConfig();
        var training = new Training.TrainingOptions();
        return new(env, new LowRankLmTrainer.Options
        {
            TokensColumnName = tokensColumnName,
            Model = model with
            {
                Depth = depth ?? model.Depth, ModelDim = modelDim ?? model.ModelDim, HeadDim = headDim ?? model.HeadDim,
                SequenceLength = sequenceLength ?? model.SequenceLength, AttentionRank = attentionRank,
                    MlpRank = mlpRank, Variant = variant ?? model.Variant,
            },
            Training = training with
            {
                MaxSteps = maxSteps, MaxTokens = maxTokens, MaxSeconds = maxSeconds,
                MatrixLearningRate = matrixLearningRate ?? training.MatrixLearningRate,
                    BatchSize = batchSize ?? training.BatchSize,
            },
            ValidationSet = validationSet,
        });
    }
}
