// Any Microsoft.ML.Tokenizers tokenizer (SentencePiece, BPE, WordPiece, Tiktoken, …) as the language model's tokenizer.
// Its vocabulary cannot be written into a model file generically, so a saved model records the tokenizer's name and a
// hash of its vocabulary; loading finds it among the tokenizers registered in the process (LmTokenizer.Register) and
// refuses, naming the missing registration or the changed vocabulary, instead of scoring ids with other meanings.
using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLNet.LowRank.Data.Tokenizers;

/// <summary>An <see cref="LmTokenizer"/> over a <see cref="Tokenizer"/> of Microsoft.ML.Tokenizers.</summary>
public sealed class ExternalLmTokenizer : LmTokenizer
{
    internal const string Kind = "external";
    static readonly ConcurrentDictionary<string, ExternalLmTokenizer> Registered = new(StringComparer.Ordinal);

    readonly int[] byteLengths;
    readonly ulong vocabularyHash;

    internal ExternalLmTokenizer(string name, Tokenizer inner, int bosId, int vocabSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(inner);
        if (vocabSize < 2)
            throw new ArgumentOutOfRangeException(nameof(vocabSize),
                vocabSize, $"vocabSize must be at least 2 (ids 0 … vocabSize − 1, BOS among them); got {vocabSize}.");
        if (bosId < 0 || bosId >= vocabSize)
            throw new ArgumentOutOfRangeException(nameof(bosId),
                bosId, $"bosId must be an id of the vocabulary (0 … {vocabSize - 1}); got {bosId}.");
        Name = name;
        Inner = inner;
        BosId = bosId;
        VocabSize = vocabSize;
        // UTF-8 bytes each id stands for (for bits per byte): the bytes of the id decoded alone — exact for tokenizers
        // whose tokens are whole characters (SentencePiece, WordPiece, character BPE). A byte-level BPE token that
        // holds part of a character decodes to U+FFFD, so for tiktoken vocabularies use FromTiktokenFile or the
        // built-in ones, which know every token's bytes.
        byteLengths = new int[vocabSize];
        var hash = new List<byte>();
        for (int id = 0; id < vocabSize; id++)
        {
            byte[] bytes = id == bosId ? [] : TokenBytes(inner, id);
            byteLengths[id] = bytes.Length;
            hash.AddRange(BitConverter.GetBytes(bytes.Length));
            hash.AddRange(bytes);
        }
        vocabularyHash = Common.StableHash.Fnv1a(hash.ToArray(), (ulong)bosId);
    }

    static byte[] TokenBytes(Tokenizer tokenizer, int id) => Encoding.UTF8.GetBytes(tokenizer.Decode([id]) ?? "");

    public override string Name { get; }
    public override int VocabSize { get; }
    public override int BosId { get; }

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner { get; }

    public override int[] Encode(string text)
    {
        var ids = Inner.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true).ToArray();
        foreach (int id in ids)
            if ((uint)id >= (uint)VocabSize)
                throw new InvalidOperationException($"Tokenizer '{Name}' produced id {id}, outside the vocabulary " +
                    $"size {VocabSize} it was wrapped with. Pass the tokenizer's full vocabulary size.");
        return ids;
    }

    public override string Decode(IEnumerable<int> ids) => Inner.Decode(ids.Where(i => i != BosId
        && (uint)i < (uint)VocabSize)) ?? "";

    public override int ByteLength(int id) => (uint)id < (uint)VocabSize ? byteLengths[id] : 0;

    public override void Write(BinaryWriter writer)
    {
        writer.Write(Kind);
        writer.Write(Name);
        writer.Write(VocabSize);
        writer.Write(BosId);
        writer.Write(vocabularyHash);
    }

    /// <summary>Makes <paramref name="tokenizer"/> findable by name when a model that uses it is loaded. The same
    /// vocabulary under the same name again (a new wrapper of the same tokenizer) takes the name over; another
    /// vocabulary is refused, since models saved under that name would silently read their ids as other text.</summary>
    /// <exception cref="ArgumentException">Another vocabulary is registered under the name.</exception>
    internal static void AddToRegistry(ExternalLmTokenizer tokenizer)
    {
        while (true)
        {
            var existing = Registered.GetOrAdd(tokenizer.Name, tokenizer);
            if (ReferenceEquals(existing, tokenizer)) return;
            if (existing.VocabSize != tokenizer.VocabSize || existing.BosId != tokenizer.BosId
                || existing.vocabularyHash != tokenizer.vocabularyHash)
                throw new ArgumentException(
                    $"A tokenizer named '{tokenizer.Name}' is registered already with another vocabulary " +
                    $"({existing.VocabSize:N0} ids, BOS {existing.BosId}; this one has {tokenizer.VocabSize:N0} ids, " +
                    $"BOS {tokenizer.BosId}). Models saved under that name would read their ids as other text: " +
                    $"choose another name.",
                    nameof(tokenizer));
            if (Registered.TryUpdate(tokenizer.Name, tokenizer, existing)) return;
        }
    }

    internal static ExternalLmTokenizer ReadRegistered(BinaryReader reader)
    {
        string name = reader.ReadString();
        int vocab = reader.ReadInt32(), bos = reader.ReadInt32();
        ulong hash = reader.ReadUInt64();
        if (!Registered.TryGetValue(name, out var tokenizer))
            throw ExtensionRegistry.Missing(
                $"This model was trained with the external tokenizer '{name}' ({vocab:N0} ids), which is not " +
                $"registered in this process. Call LmTokenizer.Register(LmTokenizer.FromTokenizer(<the same " +
                $"tokenizer>, bosId: {bos}, name: \"{name}\")) before loading.");
        if (tokenizer.VocabSize != vocab || tokenizer.BosId != bos || tokenizer.vocabularyHash != hash)
            throw new InvalidDataException(
                $"The tokenizer registered as '{name}' ({tokenizer.VocabSize:N0} ids, BOS {tokenizer.BosId}) is not " +
                $"the one this model was trained with ({vocab:N0} ids, BOS {bos}, a different vocabulary): its ids " +
                $"would mean other text. Register the original tokenizer.");
        return tokenizer;
    }
}
