// Links a token column to the tokenizer that made it. A Tokens column carries an annotation with a key into this
// registry, the name of the text column it came from, and the tokenizer's serialized form — so a trainer further down
// the pipeline knows the vocabulary, BOS and byte lengths, can tokenize a raw validation set the same way, can refuse
// one tokenized differently, and a tokenized IDataView saved to disk (mlContext.Data.SaveAsBinary) trains in another
// process: the tokenizer travels with the data.
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Transformers;

/// <summary>Process-wide map from annotation keys to live tokenizers (weakly held).</summary>
public static class TokenizerRegistry
{
    /// <summary>The annotation a token column carries: "key|source text column|serialized tokenizer
    /// (base64)".</summary>
    public const string AnnotationName = "MLNet.LowRank.Tokenizer";

    static readonly ConditionalWeakTable<LmTokenizer, string> Keys = new();
    static readonly Dictionary<string, WeakReference<LmTokenizer>> ByKey = new();
    static readonly List<LmTokenizer> Held = [];

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

    /// <summary>Annotations that mark a token column as made by <paramref name="tokenizer"/> from
    /// <paramref name="sourceColumn"/>.</summary>
    public static DataViewSchema.Annotations Annotate(LmTokenizer tokenizer, string sourceColumn)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) tokenizer.Write(w);
        var value = $"{KeyOf(tokenizer)}|{sourceColumn}|{Convert.ToBase64String(buffer.ToArray())}".AsMemory();
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(AnnotationName, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = value);
        return builder.ToAnnotations();
    }

    /// <summary>The tokenizer and source column of a token column, or null when it carries no (live)
    /// annotation.</summary>
    public static (LmTokenizer Tokenizer, string SourceColumn)? Find(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AnnotationName) is not { } annotation) return null;
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetGetter<ReadOnlyMemory<char>>(annotation)(ref value);
        var parts = value.ToString().Split('|', 3);
        if (parts.Length < 2) return null;
        lock (ByKey)
        {
            if (ByKey.TryGetValue(parts[0], out var weak) && weak.TryGetTarget(out var tokenizer))
                return (tokenizer, parts[1]);
        }
        if (parts.Length < 3) return null;
        // Made in another process (data saved to disk): rebuild the tokenizer from the annotation and remember it.
        LmTokenizer rebuilt;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(Convert.FromBase64String(parts[2])));
            rebuilt = LmTokenizer.Read(reader);
        }
        catch (FormatException) { return null; }
        catch (InvalidDataException) { return null; }
        catch (EndOfStreamException) { return null; }
        lock (ByKey)
        {
            ByKey[parts[0]] = new WeakReference<LmTokenizer>(rebuilt);
            Keys.AddOrUpdate(rebuilt, parts[0]);
            Held.Add(rebuilt); // a weakly held rebuilt tokenizer would vanish before the trainer used it
        }
        return (rebuilt, parts[1]);
    }
}
