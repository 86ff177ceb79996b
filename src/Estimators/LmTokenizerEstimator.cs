// The tokenizer stage: `mlContext.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Bpe(4096))`.
// Fit builds the tokenizer (training a BPE on the input texts) and returns the transformer that adds token ids.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Estimators;

/// <summary>Estimator of <see cref="LmTokenizerTransformer"/>.</summary>
public sealed class LmTokenizerEstimator : IEstimator<LmTokenizerTransformer>
{
    const string Stage = "TokenizeForLanguageModel";
    readonly LmTokenizerFactory tokenizer;
    readonly string outputColumnName, inputColumnName;

    internal LmTokenizerEstimator(string outputColumnName, string inputColumnName, LmTokenizerFactory tokenizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
    }

    public LmTokenizerTransformer Fit(IDataView input)
    {
        SchemaChecks.RequireText(input.Schema, inputColumnName, Stage);
        // Refused here, before any tokenizer is built or model trained: whitespace still encodes to byte tokens, so
        // without this a byte-level pipeline would train on nothing but spaces.
        if (!ReadTexts(input, inputColumnName).Any(t => !string.IsNullOrWhiteSpace(t)))
            throw new ArgumentException($"{Stage}: column '{inputColumnName}' has no tokens to learn from: the " +
                $"corpus is empty or holds only whitespace. Provide text.");
        var built = tokenizer.Create(ReadTexts(input, inputColumnName));
        return new LmTokenizerTransformer(built, outputColumnName, inputColumnName);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.RequireShape(inputSchema, inputColumnName, Stage, tokens: false);
        // The real annotation needs the fitted tokenizer; the shape only needs its presence.
        return SchemaChecks.Append(inputSchema,
            [new DataViewSchema.DetachedColumn(outputColumnName, new VectorDataViewType(NumberDataViewType.Int32),
            TokenizerRegistry.Annotate(new ByteLevelTokenizer(), inputColumnName))]);
    }

    /// <summary>The values of a text column, in row order.</summary>
    public static IEnumerable<string> ReadTexts(IDataView data, string column)
    {
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(col);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            yield return value.ToString();
        }
    }
}
