// What the language model needs from a tokenizer: ids for text and back, a BOS id, the vocabulary size, the UTF-8 bytes
// each id stands for (for bits per byte), and a way to be written into and read back from a saved model.
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLNet.LowRank.Data.Tokenizers;

/// <summary>A lossless, byte-level tokenizer with a BOS token.</summary>
public abstract class LmTokenizer
{
    /// <summary>A short name: "bytes", "gpt2", "cl100k_base", "o200k_base", "bpe-4096".</summary>
    public abstract string Name { get; }

    /// <summary>Number of ids (0 … VocabSize − 1), special tokens included.</summary>
    public abstract int VocabSize { get; }

    /// <summary>The id put before every document.</summary>
    public abstract int BosId { get; }

    /// <summary>Ids of <paramref name="text"/>, without BOS.</summary>
    public abstract int[] Encode(string text);

    /// <summary>Text of <paramref name="ids"/>; special tokens are dropped.</summary>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>UTF-8 bytes that <paramref name="id"/> stands for; 0 for special tokens.</summary>
    public abstract int ByteLength(int id);

    /// <summary><see cref="ByteLength"/> of every id.</summary>
    public int[] BytesPerToken()
    {
        var table = new int[VocabSize];
        for (int i = 0; i < table.Length; i++) table[i] = ByteLength(i);
        return table;
    }

    string? fingerprint;

    /// <summary>A stable hash of this tokenizer's full definition (what <see cref="Write"/> stores: kind, vocabulary,
    /// merges): equal for two copies of one tokenizer — a saved one and its reloaded copy — and different for any two
    /// tokenizers that would encode some text differently.</summary>
    public string Fingerprint
    {
        get
        {
            if (fingerprint is not null) return fingerprint;
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) Write(w);
            return fingerprint = $"{Name}#{Common.StableHash.Fnv1a(buffer.ToArray()):x16}";
        }
    }

    /// <summary>True when <paramref name="other"/> is this tokenizer or a copy of it.</summary>
    public bool SameAs(LmTokenizer other) => ReferenceEquals(this, other) || Fingerprint == other.Fingerprint;

    /// <summary>Writes what <see cref="Read"/> needs to rebuild this tokenizer.</summary>
    public abstract void Write(BinaryWriter writer);

    /// <summary>Rebuilds a tokenizer written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The data names an unknown tokenizer or is damaged.</exception>
    public static LmTokenizer Read(BinaryReader reader)
    {
        // A cut-short or garbled blob fails inside BinaryReader (past the end, a bad length prefix): that is damaged
        // data.
        try { return ReadKind(reader); }
        catch (Exception e) when (e is EndOfStreamException or FormatException or System.Text.DecoderFallbackException)
        {
            throw new InvalidDataException($"The saved tokenizer is cut short or damaged ({e.Message}).", e);
        }
    }

    static LmTokenizer ReadKind(BinaryReader reader)
    {
        string kind = reader.ReadString();
        return kind switch
        {
            ByteLevelTokenizer.Kind => new ByteLevelTokenizer(),
            TiktokenLmTokenizer.PretrainedKind => TiktokenLmTokenizer.Pretrained(reader.ReadString()),
            TiktokenLmTokenizer.TrainedKind => TiktokenLmTokenizer.FromRanks(reader.ReadString(), ReadRanks(reader)),
            TiktokenLmTokenizer.TrainedWithPatternKind => ReadWithPattern(reader),
            ExternalLmTokenizer.Kind => ExternalLmTokenizer.ReadRegistered(reader),
            _ => throw new InvalidDataException($"Unknown tokenizer kind '{kind}' in the saved model."),
        };
    }

    static TiktokenLmTokenizer ReadWithPattern(BinaryReader reader)
    {
        string name = reader.ReadString(), pattern = reader.ReadString();
        return TiktokenLmTokenizer.FromRanks(name, ReadRanks(reader), pattern);
    }

    /// <summary>The largest ranks text a saved tokenizer may hold: o200k_base's is 3.6 MB, so 64 MiB leaves room for
    /// any real vocabulary while a forged length cannot make the reader allocate gigabytes before reading.</summary>
    public const int MaxRanksBytes = 64 << 20;

    /// <summary>A length-prefixed UTF-8 ranks text, its length checked against <see cref="MaxRanksBytes"/> and against
    /// the bytes the stream still holds before anything is allocated.</summary>
    static string ReadRanks(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        long left = reader.BaseStream.CanSeek ? reader.BaseStream.Length - reader.BaseStream.Position : long.MaxValue;
        if (length < 0 || length > MaxRanksBytes || length > left)
            throw new InvalidDataException($"The saved tokenizer claims a vocabulary of {length:N0} bytes " +
                $"({(length > left ? $"the data holds {left:N0}" : $"the limit is {MaxRanksBytes:N0}")}): the file " +
                $"is damaged.");
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length)
            throw new InvalidDataException($"The saved tokenizer's vocabulary is cut short " +
                $"({bytes.Length:N0} of {length:N0} bytes): the file is damaged.");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The tokenizer every command, sweep spec and study uses when none is named.</summary>
    public const string DefaultName = "bytes";

    /// <summary>The names <see cref="Parse"/> takes, as help text.</summary>
    public const string NameHelp = "bytes (default), gpt2, cl100k, o200k, tiktoken:<file> (a ranks file), or bpe:N " +
        "(a BPE of N tokens trained on the training documents).";

    /// <summary>The tokenizer a name stands for, as `lowrank train --tokenizer`, `lowrank tokenize` and a sweep spec's
    /// "tokenizer" write it: <see cref="NameHelp"/>.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static LmTokenizerFactory Parse(string name) => name.ToLowerInvariant() switch
    {
        "bytes" => Bytes(),
        "gpt2" => Gpt2(),
        "cl100k" or "cl100k_base" => Cl100k(),
        "o200k" or "o200k_base" => O200k(),
        var t when t.StartsWith("bpe:", StringComparison.Ordinal) && int.TryParse(t[4..],
            System.Globalization.CultureInfo.InvariantCulture, out int n) => Bpe(n),
        var t when t.StartsWith("tiktoken:",
            StringComparison.Ordinal) => Use(FromTiktokenFile(name["tiktoken:".Length..])),
        _ => throw new ArgumentException($"Unknown tokenizer '{name}'. Use {NameHelp}"),
    };

    /// <summary>UTF-8 bytes, 256 ids + BOS.</summary>
    public static LmTokenizerFactory Bytes() => new LmTokenizerFactory("bytes", _ => new ByteLevelTokenizer());

    /// <summary>GPT-2's 50,257-token BPE (BOS = &lt;|endoftext|&gt;).</summary>
    public static LmTokenizerFactory Gpt2() => new LmTokenizerFactory("gpt2",
        _ => TiktokenLmTokenizer.Pretrained("gpt2"));

    /// <summary>cl100k_base (GPT-4).</summary>
    public static LmTokenizerFactory Cl100k() => new LmTokenizerFactory("cl100k_base",
        _ => TiktokenLmTokenizer.Pretrained("cl100k_base"));

    /// <summary>o200k_base (GPT-4o).</summary>
    public static LmTokenizerFactory O200k() => new LmTokenizerFactory("o200k_base",
        _ => TiktokenLmTokenizer.Pretrained("o200k_base"));

    /// <summary>A byte-level BPE trained on the training texts at fit time; <paramref name="vocabSize"/> counts the 256
    /// bytes, the merges and BOS.</summary>
    public static LmTokenizerFactory Bpe(int vocabSize)
    {
        if (vocabSize < 258)
            throw new ArgumentOutOfRangeException(nameof(vocabSize),
                vocabSize, $"vocabSize must be at least 258 (256 bytes, one merge, BOS); got {vocabSize}.");
        return new LmTokenizerFactory($"bpe-{vocabSize}", texts => BpeTrainer.Train(texts, vocabSize));
    }

    /// <summary>Any Microsoft.ML.Tokenizers <paramref name="tokenizer"/>, with the id put before every document
    /// (<paramref name="bosId"/>, e.g. its &lt;s&gt; or &lt;|endoftext|&gt;) and its number of ids. A model trained
    /// with it records <paramref name="name"/>; <see cref="Register"/> the same tokenizer before loading that
    /// model.</summary>
    public static ExternalLmTokenizer FromTokenizer(Tokenizer tokenizer, int bosId, string name, int vocabSize)
    {
        var wrapped = new ExternalLmTokenizer(name, tokenizer, bosId, vocabSize);
        ExternalLmTokenizer.AddToRegistry(wrapped);
        return wrapped;
    }

    /// <summary>Registers an external tokenizer (from <see cref="FromTokenizer"/>) under its name, so models trained
    /// with it load in this process. <see cref="FromTokenizer"/> registers what it makes; call this after a
    /// restart.</summary>
    public static void Register(ExternalLmTokenizer tokenizer) => ExternalLmTokenizer.AddToRegistry(tokenizer);

    /// <summary>A byte-level BPE from a tiktoken ranks file ("base64-token rank" per line), such as one written by
    /// <see cref="TiktokenLmTokenizer.SaveTiktoken"/>; BOS is the id after the last rank. Text is split before merging
    /// by <paramref name="pattern"/> (default GPT-2's, which the library's own BPE training uses). The vocabulary is
    /// stored in models trained with it.</summary>
    public static TiktokenLmTokenizer FromTiktokenFile(string path, string? name = null, string? pattern = null)
    {
        // Bounded by what a saved model can hold (MaxRanksBytes): a larger one could be trained with but never loaded
        // back.
        return TiktokenLmTokenizer.FromRanks(name ?? Path.GetFileNameWithoutExtension(path),
            Common.UserFile.ReadAllText(path, MaxRanksBytes, "tiktoken file"), pattern);
    }

    /// <summary>An already built tokenizer.</summary>
    public static LmTokenizerFactory Use(LmTokenizer tokenizer) => new LmTokenizerFactory(tokenizer.Name,
        _ => tokenizer);

    public override string ToString() => $"{Name} ({VocabSize:N0} tokens)";
}

/// <summary>Makes a tokenizer, from the training texts where it learns from them (BPE) or ignoring them.</summary>
public sealed class LmTokenizerFactory(string name, Func<IEnumerable<string>, LmTokenizer> create)
{
    /// <summary>The name the tokenizer will have.</summary>
    public string Name => name;

    /// <summary>Builds the tokenizer; <paramref name="trainingTexts"/> is enumerated only by tokenizers that
    /// learn.</summary>
    public LmTokenizer Create(IEnumerable<string> trainingTexts) => create(trainingTexts);

    public override string ToString() => name;
}
