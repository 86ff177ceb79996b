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

    /// <summary>Options of <see cref="LowRankLmTrainer"/>: the model's architecture (<see cref="Model"/>), the training
    /// loop's options (<see cref="Training"/>), the initialisation seed, and what the run is given at run time
    /// (columns, validation set, progress, cancellation, log directory). Each option is declared once, in
    /// <see cref="GptConfig"/>, <see cref="TrainingOptions"/> or here, with its default and documentation; sweeps, the
    /// CLI's <c>--set</c>, trial identity and fingerprints all go through <see cref="OptionTable"/>, which reads those
    /// declarations.</summary>
    public sealed class Options
    {
        /// <summary>The architecture: depth, width, heads, context, variant, ranks, init, MLP ratio, soft-cap, rotary
        /// base, norm epsilon (model-spec's defaults). Its VocabSize is taken from the tokenizer: leave it 0.</summary>
        public GptConfig Model { get; set; } = new();

        /// <summary>The training loop: budget, batch, learning rates, optimizer, schedule, evaluation, checkpoints.
        /// A budget (MaxSteps, MaxTokens or MaxSeconds) is required.</summary>
        public TrainingOptions Training { get; set; } = new();

        /// <summary>Seed of the initial weights, and of the data order unless <see cref="TrainingOptions.DataSeed"/> is
        /// set. Null = the MLContext's seed (<c>new MLContext(seed: n)</c>), or 1 when it has none. Default
        /// null.</summary>
        [NullText("context")]
        public int? Seed { get; set; }

        /// <summary>The token column (from TokenizeForLanguageModel, or token shards). Default "Tokens".</summary>
        [RunSetting]
        public string TokensColumnName { get; set; } = "Tokens";

        /// <summary>Held-out documents, raw (with the tokenizer's text column) or already tokenized; null = no
        /// evaluation.</summary>
        [RunSetting]
        public IDataView? ValidationSet { get; set; }

        /// <summary>Receives progress every <see cref="TrainingOptions.ReportEvery"/> steps.</summary>
        [RunSetting]
        public IProgress<TrainingProgress>? Progress { get; set; }

        /// <summary>Stops training after the current step (writing a checkpoint when
        /// <see cref="TrainingOptions.CheckpointPath"/> is set); <c>mlContext.CancelExecution()</c> does the
        /// same.</summary>
        [RunSetting]
        public CancellationToken CancellationToken { get; set; }

        /// <summary>A TensorBoard run directory: training loss, learning-rate factor, gradient norm and tokens/s every
        /// step, validation loss, perplexity and bits per byte at every evaluation, and the options as text
        /// (<c>tensorboard --logdir</c> on it, or on its parent to compare runs); null = none. Default null.</summary>
        [RunSetting]
        public string? LogDirectory { get; set; }

        /// <summary>The model configuration these options describe for a vocabulary of
        /// <paramref name="vocabSize"/>.</summary>
        /// <exception cref="ArgumentException">Model.VocabSize is set and differs from
        /// <paramref name="vocabSize"/>.</exception>
        public GptConfig ToConfig(int vocabSize) => Model.VocabSize == 0 || Model.VocabSize == vocabSize
            ? Model with { VocabSize = vocabSize }
            : throw new ArgumentException($"Options.Model.VocabSize is {Model.VocabSize}, but the tokenizer " +
            $"has {vocabSize} ids; the vocabulary comes from the tokenizer, so leave Model.VocabSize at 0.",
            nameof(vocabSize));

        /// <summary>The training-loop options these options describe, with the data seed resolved against
        /// <paramref name="seed"/> (the initialisation seed in force).</summary>
        public TrainingOptions ToTraining(int seed) => Training with { DataSeed = Training.DataSeed ?? seed };

        /// <summary>A copy whose Model and Training are copies too (the validation set, progress and token are
        /// shared).</summary>
        public Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.Model = Model with { };
            copy.Training = Training with { };
            return copy;
        }
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
            $"{Stage}: column '{o.TokensColumnName}' carries no tokenizer annotation (the " +
            $"'{TokenizerRegistry.AnnotationName}' annotation that TokenizeForLanguageModel and LoadTokenShards put " +
            $"on the columns they make), so the trainer does not know its tokenizer. Put TokenizeForLanguageModel " +
            $"before LowRankLm in the pipeline, or train on data from LoadTokenShards.");
        var config = o.ToConfig(tokenizer.VocabSize);
        int seed = MLContextSettings.SeedOf(env, o.Seed);
        var training = o.ToTraining(seed);
        config.Validate();
        training.Validate();
        training.ValidateFor(config.SequenceLength);

        var device = Runtime.TorchRuntime.DeviceFor(env); // a GPU that is not there is refused before any work
        if (device.type == TorchSharp.DeviceType.CPU)
            MemoryNeed.Check(config, training);   // before reading data or allocating
        var train = ReadStream(input, o.TokensColumnName, tokenizer);
        if (train.Length == 0)
            throw new ArgumentException($"{Stage}: the training data has no tokens: the corpus is empty or holds " +
                $"only empty documents. Provide text.");
        TokenStream? validation = o.ValidationSet is null ? null : ReadValidation(o.ValidationSet, o.TokensColumnName,
            tokenizer, sourceColumn);

        using var channel = env.Start(Stage);
        var summary = ModelSummary.For(config);
        channel.Info(MessageSensitivity.None, summary.ToString());
        channel.Info(MessageSensitivity.None, $"Tokenizer {tokenizer}; {train.DocumentCount} training " +
            $"documents, {train.Length:N0} tokens" +
            (validation is null
            ? "" : $"; {validation.DocumentCount} validation documents, {validation.Length:N0} tokens"));
        channel.Info(MessageSensitivity.None, $"Device: {device}");
        var model = Gpt.Create(config, seed, device);
        using var board = o.LogDirectory is null ? null : new TensorBoardWriter(o.LogDirectory);
        board?.Text("options", TensorBoardWriter.Table(OptionTable.Describe(o)));
        board?.Text("model", "```\n" + summary + "\n```");
        try
        {
            // mlContext.CancelExecution() stops the run as the token does: checked after every step, so the checkpoint
            // written on cancellation is the same.
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(o.CancellationToken);
            void OnStep(StepRecord record)
            {
                board?.Step(record);
                if (env.IsCanceled()) cancel.Cancel();
            }
            var result = TrainingLoop.Train(model, train, validation, tokenizer.BytesPerToken(), training,
                o.Progress, line => channel.Info(MessageSensitivity.None, line), cancel.Token, OnStep);
            if (result.Status == TrainingStatus.Paused)
                channel.Info(MessageSensitivity.None, result.Message ?? "Paused.");
            else if (result.Status != TrainingStatus.Completed)
                channel.Warning(MessageSensitivity.None, result.Message ?? result.Status.ToString());
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
        return SchemaChecks.Append(inputSchema, LanguageModelColumns.All);
    }

    static TokenStream ReadValidation(IDataView data, string tokensColumn, LmTokenizer tokenizer, string sourceColumn)
    {
        if (data.Schema.GetColumnOrNull(tokensColumn) is { } tokens)
        {
            SchemaChecks.RequireTokens(data.Schema, tokensColumn, Stage + " ValidationSet");
            if (TokenizerRegistry.Find(tokens) is null)
                throw new ArgumentException($"{Stage}: ValidationSet column '{tokensColumn}' was tokenized by an " +
                    $"unknown tokenizer, not by the training data's tokenizer ({tokenizer}). Pass the raw validation " +
                    $"documents, or transform them with the fitted tokenizer stage.");
            SchemaChecks.RequireTokenizer(tokens, tokenizer, "the training data's tokenizer",
                Stage + " ValidationSet", "Pass the raw validation documents, or transform them with the fitted " +
                "tokenizer stage.");
            return ReadStream(data, tokensColumn, tokenizer);
        }
        SchemaChecks.RequireText(data.Schema, sourceColumn, Stage + " ValidationSet");
        var docs = LmTokenizerEstimator.ReadTexts(data,
            sourceColumn).Select(t => (IReadOnlyList<int>)tokenizer.Encode(t)).ToList();
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
