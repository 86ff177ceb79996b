// Links a token column to the tokenizer that made it. A Tokens column carries an annotation with a key into this
// registry (and the name of the text column it came from), so a trainer further down the pipeline knows the vocabulary,
// BOS and byte lengths, can tokenize a raw validation set the same way, and can refuse one tokenized differently.
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Transformers;

/// <summary>Process-wide map from annotation keys to live tokenizers (weakly held).</summary>
public static class TokenizerRegistry
{
    /// <summary>The annotation a token column carries: "key|source text column".</summary>
    public const string AnnotationName = "MLNet.LowRank.Tokenizer";

    static readonly ConditionalWeakTable<LmTokenizer, string> Keys = new();
    static readonly Dictionary<string, WeakReference<LmTokenizer>> ByKey = new();

    /// <summary>The key of <paramref name="tokenizer"/>, registering it on first use.</summary>
    public static string KeyOf(LmTokenizer tokenizer)
    {
        lock (ByKey)
        {
            if (Keys.TryGetValue(tokenizer, out var key)) return key;
            key = $"{tokenizer.Name}#{Guid.NewGuid():N}";
            Keys.Add(tokenizer, key);
            ByKey[key] = new WeakReference<LmTokenizer>(tokenizer);
            return key;
        }
    }

    /// <summary>Annotations that mark a token column as made by <paramref name="tokenizer"/> from <paramref name="sourceColumn"/>.</summary>
    public static DataViewSchema.Annotations Annotate(LmTokenizer tokenizer, string sourceColumn)
    {
        var value = $"{KeyOf(tokenizer)}|{sourceColumn}".AsMemory();
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(AnnotationName, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = value);
        return builder.ToAnnotations();
    }

    /// <summary>The tokenizer and source column of a token column, or null when it carries no (live) annotation.</summary>
    public static (LmTokenizer Tokenizer, string SourceColumn)? Find(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AnnotationName) is not { } annotation) return null;
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetGetter<ReadOnlyMemory<char>>(annotation)(ref value);
        var parts = value.ToString().Split('|', 2);
        lock (ByKey)
        {
            if (parts.Length == 2 && ByKey.TryGetValue(parts[0], out var weak) && weak.TryGetTarget(out var tokenizer))
                return (tokenizer, parts[1]);
        }
        return null;
    }
}
