// The trained language model as an ML.NET transformer: Transform adds per-document scores (Σ NLL, predicted tokens and
// bytes) for Evaluate; it also exposes the model, its summary and training history, generates text, and saves into the
// zip that mlContext.Model.Save writes (see ModelPersistence).
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Generation;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Transformers;

/// <summary>Names of the columns <see cref="LowRankLmTransformer"/> adds.</summary>
public static class LanguageModelColumns
{
    /// <summary>Σ negative log-likelihood of the document's tokens, in nats (Double).</summary>
    public const string NegLogLikelihood = "NegLogLikelihood";
    /// <summary>Tokens predicted (Int64).</summary>
    public const string PredictedTokens = "PredictedTokens";
    /// <summary>UTF-8 bytes of the predicted tokens (Int64).</summary>
    public const string PredictedBytes = "PredictedBytes";
    /// <summary>ln p of every token of the document given BOS and the tokens before it, in nats (vector of Single, one
    /// per token of the token column).</summary>
    public const string TokenLogProbabilities = "TokenLogProbabilities";

    /// <summary>The four columns a language model adds to a row, with their types, in order.</summary>
    public static IReadOnlyList<DataViewSchema.DetachedColumn> All { get; } =
    [
        new(NegLogLikelihood, NumberDataViewType.Double),
        new(PredictedTokens, NumberDataViewType.Int64),
        new(PredictedBytes, NumberDataViewType.Int64),
        new(TokenLogProbabilities, new VectorDataViewType(NumberDataViewType.Single)),
    ];
}

/// <summary>A trained baseline or low-rank GPT. Dispose it to free the model's native memory.</summary>
public sealed class LowRankLmTransformer : ITransformer, IDisposable
{
    internal const string Kind = "lm";
    readonly object gate = new();
    readonly int[] bytesPerToken;

    internal LowRankLmTransformer(Gpt model, LmTokenizer tokenizer, string tokensColumnName, TrainingResult? training)
    {
        // A tokenizer with more ids than the embedding has rows would send ids past the table to libtorch: a model file
        // whose parts disagree is damaged (or was assembled from two models), whatever it otherwise holds.
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException($"The model's tokenizer '{tokenizer.Name}' " +
                $"has {tokenizer.VocabSize:N0} ids but its embedding has {model.Config.VocabSize:N0} rows: the file " +
                $"is damaged, or its tokenizer and weights come from different models.");
        Model = model;
        Tokenizer = tokenizer;
        TokensColumnName = tokensColumnName;
        Training = training;
        Summary = ModelSummary.For(model.Config);
        bytesPerToken = tokenizer.BytesPerToken();
    }

    /// <summary>The TorchSharp module.</summary>
    public Gpt Model { get; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public LmTokenizer Tokenizer { get; }

    /// <summary>The token column scored.</summary>
    public string TokensColumnName { get; }

    /// <summary>Parameters, ranks per block, FLOPs per token.</summary>
    public ModelSummary Summary { get; }

    /// <summary>How training went: per-step history, time to threshold, throughput, memory. Null only for models built
    /// outside a trainer.</summary>
    public TrainingResult? Training { get; }

    /// <summary>The per-step history (empty when <see cref="Training"/> is null).</summary>
    public IReadOnlyList<StepRecord> History => Training?.History ?? [];

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return AppendedColumnsDataView.BuildSchema(inputSchema, new ScoreFunction(this));
    }

    public IDataView Transform(IDataView input)
    {
        CheckInput(input.Schema);
        return new AppendedColumnsDataView(input, new ScoreFunction(this));
    }

    /// <summary>The same columns one row at a time (what <c>mlContext.Model.CreatePredictionEngine</c> uses).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return new AppendedColumnsMapper(inputSchema, new ScoreFunction(this));
    }

    void CheckInput(DataViewSchema schema)
    {
        Live();
        var column = SchemaChecks.RequireTokens(schema, TokensColumnName, "LowRankLm");
        SchemaChecks.RequireTokenizer(column,
            Tokenizer, "this model's tokenizer", "LowRankLm", "Transform the raw text with this model's own pipeline " +
            "(the fitted tokenizer stage before it).");
    }

    /// <summary>Scores one tokenized document.</summary>
    public DocumentScore Score(int[] tokens)
    {
        lock (gate) return DocumentScorer.Score(Live(), Tokenizer.BosId, bytesPerToken, tokens);
    }

    /// <summary>Scores one tokenized document token by token.</summary>
    public TokenScores ScoreTokens(int[] tokens)
    {
        lock (gate) return DocumentScorer.ScoreTokens(Live(), Tokenizer.BosId, [tokens])[0];
    }

    /// <summary>ln p(<paramref name="continuation"/> | BOS + <paramref name="prompt"/>), token by token. Texts longer than the
    /// context are scored with the windows of the held-out metric (every token sees at least half a context).</summary>
    public ContinuationScore ScoreContinuation(string prompt, string continuation)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(continuation);
        int[] head = Tokenizer.Encode(prompt), tail = Tokenizer.Encode(continuation);
        TokenScores scores;
        lock (gate) scores = DocumentScorer.ScoreTokens(Live(), Tokenizer.BosId, [[.. head, .. tail]])[0];
        var logp = scores.NegLogLikelihood.Skip(head.Length).Select(n => -(double)n).ToArray();
        return new ContinuationScore(tail, logp, scores.IsGreedy.Skip(head.Length).All(g => g),
            tail.Sum(id => (long)bytesPerToken[id]));
    }

    /// <summary>Continues <paramref name="prompt"/> by up to <paramref name="maxTokens"/> tokens (stopping early if the
    /// model ends the document). Temperature 0 is greedy; otherwise sampling with the seeded generator, optionally
    /// top-k.</summary>
    public string Generate(string prompt, int maxTokens = 100, double temperature = 0.8, int topK = 40, int seed = 0) =>
        Generate(prompt,
        new GenerationOptions { MaxNewTokens = maxTokens, Temperature = temperature, TopK = topK, Seed = seed }).Text;

    /// <summary>Continues <paramref name="prompt"/> as <paramref name="options"/> say.</summary>
    public GeneratedText Generate(string prompt, GenerationOptions options) => Generate([prompt], options)[0];

    /// <summary>Continues every prompt, as one batch (a key/value cache row each); each prompt gets the text it would
    /// get alone.</summary>
    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<string> prompts, GenerationOptions options,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (gate) return TextGeneration.Run(Live(), Tokenizer, prompts, options, cancellation: cancellation);
    }

    /// <summary>Continues <paramref name="prompt"/>, yielding text as it becomes final (never a partial character,
    /// never the start of a stop sequence that may still complete). Generation runs on a pool thread; stopping the
    /// enumeration or cancelling <paramref name="cancellation"/> stops it.</summary>
    public async IAsyncEnumerable<string> GenerateStreamAsync(string prompt, GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        options ??= new GenerationOptions();
        options.Validate();
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true,
            SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var producer = Task.Run(() =>
        {
            try
            {
                lock (gate) TextGeneration.Run(Live(), Tokenizer, [prompt],
                    options, (_, piece) => pieces.Writer.TryWrite(piece), stop.Token);
                pieces.Writer.Complete();
            }
            catch (Exception e) { pieces.Writer.Complete(e); }
        }, CancellationToken.None);
        try
        {
            await foreach (string piece in pieces.Reader.ReadAllAsync(cancellation)) yield return piece;
        }
        finally
        {
            stop.Cancel();
            await producer.ConfigureAwait(false);
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, Kind, WritePayload);

    /// <summary>Everything <see cref="Read"/> needs: column, tokenizer, model, training history.</summary>
    internal void WritePayload(BinaryWriter w)
    {
        var model = Live();
        w.Write(TokensColumnName);
        Tokenizer.Write(w);
        GptSerializer.Write(w, model);
        w.Write(Training is null ? "" : JsonSerializer.Serialize(Training));
    }

    /// <param name="availableBytes">An upper bound of the bytes left in the stage's entry (its length).</param>
    internal static LowRankLmTransformer Read(BinaryReader r, long availableBytes,
        TorchSharp.torch.Device? device = null)
    {
        string tokens = r.ReadString();
        var tokenizer = LmTokenizer.Read(r);
        var model = GptSerializer.Read(r, availableBytes, device);
        string training = r.ReadString();
        try { return new LowRankLmTransformer(model, tokenizer, tokens,
            training.Length == 0 ? null : JsonSerializer.Deserialize<TrainingResult>(training)); }
        catch { model.Dispose(); throw; }
    }

    bool disposed;

    /// <summary>Frees the model's native memory; the transformer cannot be used afterwards. A PredictionEngine made
    /// with ML.NET's default <c>ownsTransformer: true</c> calls this when it is disposed.</summary>
    public void Dispose()
    {
        disposed = true;
        Model.Dispose();
    }

    Gpt Live() => disposed
        ? throw new ObjectDisposedException(nameof(LowRankLmTransformer),
            "This language model has been disposed: a PredictionEngine created with ML.NET's default " +
        "ownsTransformer: true disposes its model when the engine is disposed. Create the engine with " +
        "ownsTransformer: false, or load the model again.")
        : Model;

    sealed class ScoreFunction(LowRankLmTransformer parent) : IRowFunction
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> Outputs => LanguageModelColumns.All;

        public IReadOnlyList<string> Inputs => [parent.TokensColumnName];

        public Action<object?[]> Bind(DataViewRow input)
        {
            var getter = input.GetGetter<VBuffer<int>>(input.Schema[parent.TokensColumnName]);
            VBuffer<int> tokens = default;
            return values =>
            {
                getter(ref tokens);
                var ids = tokens.DenseValues().ToArray();
                var perToken = parent.ScoreTokens(ids);
                var score = DocumentScorer.Sum(perToken, ids, parent.Tokenizer.BosId, parent.bytesPerToken);
                values[0] = score.NegLogLikelihood;
                values[1] = score.Tokens;
                values[2] = score.Bytes;
                var logp = perToken.NegLogLikelihood.Select(n => -n).ToArray();
                values[3] = new VBuffer<float>(logp.Length, logp);
            };
        }
    }
}
