// The trainer stage: `mlContext.LowRank().Trainers.LowRankLm(options)` after TokenizeForLanguageModel. Fit checks every
// option and the schema first, reads the token column into a BOS-separated stream, trains, and returns the model as a
// LowRankLmTransformer. Progress goes to Options.Progress and to mlContext.Log.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.SearchSpace;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Estimators;

/// <summary>Pre-trains a baseline or low-rank GPT on a token column.</summary>
public sealed class LowRankLmTrainer : IEstimator<LowRankLmTransformer>
{
    const string Stage = "LowRankLm";

    /// <summary>Options of <see cref="LowRankLmTrainer"/>; every default is model-spec's. The <c>[Range]</c>/<c>[Choice]</c>
    /// attributes give the ranges a sweep uses when asked for an option's default range (<c>SearchSpace.AddDefault</c>).</summary>
    public sealed class Options
    {
        /// <summary>The token column (from TokenizeForLanguageModel). Default "Tokens".</summary>
        public string TokensColumnName { get; set; } = "Tokens";

        /// <summary>Transformer blocks. Default 4.</summary>
        [Range(1, 48, 4, false)]
        public int Depth { get; set; } = 4;
        /// <summary>Model width. Default 256.</summary>
        [Choice(new object[] { 64, 128, 256, 384, 512, 768, 1024 }, 256)]
        public int ModelDim { get; set; } = 256;
        /// <summary>Width of one head; heads = ModelDim / HeadDim. Default 64.</summary>
        public int HeadDim { get; set; } = 64;
        /// <summary>Context length in tokens. Default 256.</summary>
        public int SequenceLength { get; set; } = 256;

        /// <summary>Weight parametrisation of the factored groups. Default Factored.</summary>
        [Choice(new object[] { "Dense", "Factored", "FactoredDiagonal", "Cola" }, "Factored")]
        public LinearVariant Variant { get; set; } = LinearVariant.Factored;
        /// <summary>Attention rank (an int, a Rank.Fraction, or a RankSchedule); null = dense attention. Default null.</summary>
        public RankSchedule? AttentionRank { get; set; }
        /// <summary>MLP rank; null = dense MLP. Default null.</summary>
        public RankSchedule? MlpRank { get; set; }
        /// <summary>lm_head rank; null = dense head. Default null.</summary>
        public Rank? HeadRank { get; set; }
        /// <summary>Factor init. Default Matched.</summary>
        public FactorInit Init { get; set; } = FactorInit.Matched;

        /// <summary>Optimizer set-up. Default Muon for block matrices + AdamW for the rest.</summary>
        public IOptimizerFactory Optimizer { get; set; } = Optimizers.MuonAdamW;
        /// <summary>Muon LR. Default 0.02.</summary>
        [Range(1e-4, 1.0, 0.02, true)]
        public double MatrixLearningRate { get; set; } = 0.02;
        /// <summary>AdamW LR of wte before width scaling. Default 0.2.</summary>
        [Range(1e-3, 10.0, 0.2, true)]
        public double EmbeddingLearningRate { get; set; } = 0.2;
        /// <summary>AdamW LR of lm_head before width scaling. Default 0.004.</summary>
        [Range(1e-4, 1.0, 0.004, true)]
        public double HeadLearningRate { get; set; } = 0.004;

        /// <summary>Sequences per step (batch tokens = BatchSize × SequenceLength). Default 8.</summary>
        [Choice(new object[] { 4, 8, 16, 32, 64, 128 }, 8)]
        public int BatchSize { get; set; } = 8;
        /// <summary>Budget in steps. One of MaxSteps, MaxTokens, MaxSeconds is required.</summary>
        public int? MaxSteps { get; set; }
        /// <summary>Budget in training tokens.</summary>
        public long? MaxTokens { get; set; }
        /// <summary>Budget in training seconds (evaluation excluded).</summary>
        public double? MaxSeconds { get; set; }
        /// <summary>Evaluate every N steps (and at the end). Default 100.</summary>
        public int EvalEvery { get; set; } = 100;
        /// <summary>Validation tokens per periodic evaluation (whole documents spread evenly over the set, scored as the
        /// final metric is); 0 = all, which makes the last periodic figure the final one. Default 65,536.</summary>
        public int EvalTokens { get; set; } = 65_536;
        /// <summary>Validation perplexity for time-to-threshold; null = not measured.</summary>
        public double? ThresholdPerplexity { get; set; }
        /// <summary>Seed of the initial weights (and of the data order unless <see cref="DataSeed"/> is set). Default 1.</summary>
        public int Seed { get; set; } = 1;
        /// <summary>Seed of the data order alone; null = <see cref="Seed"/>. Set it to pair runs of different
        /// initialisations (or arms) on the same data order, so paired differences cancel the data noise. Default null.</summary>
        public int? DataSeed { get; set; }
        /// <summary>Torch threads; null = torch's default.</summary>
        public int? Threads { get; set; }

        /// <summary>Held-out documents, raw (with the tokenizer's text column) or already tokenized; null = no evaluation.</summary>
        public IDataView? ValidationSet { get; set; }
        /// <summary>Receives progress every <see cref="TrainingOptions.ReportEvery"/> steps.</summary>
        public IProgress<TrainingProgress>? Progress { get; set; }
        /// <summary>Stops training after the current step (writing a checkpoint when <see cref="CheckpointPath"/> is set).</summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>Checkpoint file, written every <see cref="TrainingOptions.CheckpointEverySteps"/> steps, at the end and
        /// when cancelled; null = none. Default null.</summary>
        public string? CheckpointPath { get; set; }

        /// <summary>Continue from <see cref="CheckpointPath"/> when it exists; the result equals an uninterrupted run. Default false.</summary>
        public bool Resume { get; set; }

        /// <summary>A TensorBoard run directory: training loss, learning-rate factor, gradient norm and tokens/s every step,
        /// validation loss, perplexity and bits per byte at every evaluation, and the options as text
        /// (<c>tensorboard --logdir</c> on it, or on its parent to compare runs); null = none. Default null.</summary>
        public string? LogDirectory { get; set; }

        /// <summary>Everything else the training loop takes (momentum, betas, warmup/warmdown, clipping, Frobenius decay…);
        /// the properties above override its budget, learning rates, batch, evaluation and seed.</summary>
        public TrainingOptions Advanced { get; set; } = new();

            /// <summary>The model configuration these options describe for a vocabulary of <paramref name="vocabSize"/>.</summary>
        public GptConfig ToConfig(int vocabSize) => new()
        {
            VocabSize = vocabSize, Depth = Depth, ModelDim = ModelDim, HeadDim = HeadDim, SequenceLength = SequenceLength,
            Variant = Variant, AttentionRank = AttentionRank, MlpRank = MlpRank, HeadRank = HeadRank, Init = Init,
        };

        /// <summary>The training-loop options these options describe.</summary>
        public TrainingOptions ToTraining() => Advanced with
        {
            Optimizer = Optimizer, MatrixLearningRate = MatrixLearningRate, EmbeddingLearningRate = EmbeddingLearningRate,
            HeadLearningRate = HeadLearningRate, BatchSize = BatchSize, MaxSteps = MaxSteps, MaxTokens = MaxTokens,
            MaxSeconds = MaxSeconds, EvalEvery = EvalEvery, EvalTokens = EvalTokens, ThresholdPerplexity = ThresholdPerplexity,
            Seed = DataSeed ?? Seed, Threads = Threads, CheckpointPath = CheckpointPath ?? Advanced.CheckpointPath, Resume = Resume || Advanced.Resume,
        };
    }

    readonly IHostEnvironment env;
    readonly Options options;

    internal LowRankLmTrainer(IHostEnvironment env, Options options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public LowRankLmTransformer Fit(IDataView input)
    {
        var o = options;
        var column = SchemaChecks.RequireTokens(input.Schema, o.TokensColumnName, Stage);
        var (tokenizer, sourceColumn) = TokenizerRegistry.Find(column) ?? throw new ArgumentException(
            $"{Stage}: column '{o.TokensColumnName}' was not made by TokenizeForLanguageModel in this process, so the trainer does not know its tokenizer. Put TokenizeForLanguageModel before LowRankLm in the pipeline.");
        var config = o.ToConfig(tokenizer.VocabSize);
        var training = o.ToTraining();
        config.Validate();
        training.Validate();

        var device = Runtime.TorchRuntime.DeviceFor(env); // a GPU that is not there is refused before any work
        var train = ReadStream(input, o.TokensColumnName, tokenizer);
        if (train.Length == 0)
            throw new ArgumentException($"{Stage}: the training data has no tokens: the corpus is empty or holds only empty documents. Provide text.");
        TokenStream? validation = o.ValidationSet is null ? null : ReadValidation(o.ValidationSet, o.TokensColumnName, tokenizer, sourceColumn);

        using var channel = env.Start(Stage);
        var summary = ModelSummary.For(config);
        channel.Info(MessageSensitivity.None, summary.ToString());
        channel.Info(MessageSensitivity.None, $"Tokenizer {tokenizer}; {train.DocumentCount} training documents, {train.Length:N0} tokens" +
            (validation is null ? "" : $"; {validation.DocumentCount} validation documents, {validation.Length:N0} tokens"));
        channel.Info(MessageSensitivity.None, $"Device: {device}");
        var model = Gpt.Create(config, o.Seed, device);
        using var board = o.LogDirectory is null ? null : new TensorBoardWriter(o.LogDirectory);
        board?.Text("options", TensorBoardWriter.Table(Experiments.TrialParameters.Describe(o)));
        board?.Text("model", "```\n" + summary + "\n```");
        try
        {
            var result = LmTrainer.Train(model, train, validation, tokenizer.BytesPerToken(), training, o.Progress, line => channel.Info(MessageSensitivity.None, line), o.CancellationToken,
                board is null ? null : board.Step);
            if (result.Status == TrainingStatus.Paused) channel.Info(MessageSensitivity.None, result.Message ?? "Paused.");
            else if (result.Status != TrainingStatus.Completed) channel.Warning(MessageSensitivity.None, result.Message ?? result.Status.ToString());
            return new LowRankLmTransformer(model, tokenizer, o.TokensColumnName, result);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.RequireShape(inputSchema, options.TokensColumnName, Stage, tokens: true);
        return SchemaChecks.Append(inputSchema,
        [
            new(LanguageModelColumns.NegLogLikelihood, NumberDataViewType.Double),
            new(LanguageModelColumns.PredictedTokens, NumberDataViewType.Int64),
            new(LanguageModelColumns.PredictedBytes, NumberDataViewType.Int64),
            new(LanguageModelColumns.TokenLogProbabilities, new VectorDataViewType(NumberDataViewType.Single)),
        ]);
    }

    static TokenStream ReadValidation(IDataView data, string tokensColumn, LmTokenizer tokenizer, string sourceColumn)
    {
        if (data.Schema.GetColumnOrNull(tokensColumn) is { } tokens)
        {
            SchemaChecks.RequireTokens(data.Schema, tokensColumn, Stage + " ValidationSet");
            if (TokenizerRegistry.Find(tokens) is null)
                throw new ArgumentException($"{Stage}: ValidationSet column '{tokensColumn}' was tokenized by an unknown tokenizer, not by the training data's tokenizer ({tokenizer}). Pass the raw validation documents, or transform them with the fitted tokenizer stage.");
            SchemaChecks.RequireTokenizer(tokens, tokenizer, "the training data's tokenizer", Stage + " ValidationSet", "Pass the raw validation documents, or transform them with the fitted tokenizer stage.");
            return ReadStream(data, tokensColumn, tokenizer);
        }
        SchemaChecks.RequireText(data.Schema, sourceColumn, Stage + " ValidationSet");
        var docs = LmTokenizerEstimator.ReadTexts(data, sourceColumn).Select(t => (IReadOnlyList<int>)tokenizer.Encode(t)).ToList();
        return new TokenStream(docs, tokenizer.BosId);
    }

    static TokenStream ReadStream(IDataView data, string column, LmTokenizer tokenizer)
    {
        // Token shards are trained on where they lie (read by position from disk), never copied into memory.
        if (data is Data.Shards.TokenShardDataView shards && shards.Schema[0].Name == column) return shards.Stream;
        var col = data.Schema[column];
        var docs = new List<IReadOnlyList<int>>();
        using (var cursor = data.GetRowCursor([col]))
        {
            var getter = cursor.GetGetter<VBuffer<int>>(col);
            VBuffer<int> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                docs.Add(value.DenseValues().ToArray());
            }
        }
        return new TokenStream(docs, tokenizer.BosId);
    }
}
