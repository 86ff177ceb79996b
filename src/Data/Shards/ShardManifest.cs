// manifest.json of a token-shard directory: which tokenizer made the ids (its full serialized form, so any process can
// rebuild it, and its fingerprint, so another tokenizer's data is refused), how documents were split, every finished
// shard with its token and document counts, and how far through the input tokenizing got (to resume).
using System.Text.Json;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Data.Shards;

/// <summary>One finished shard.</summary>
/// <param name="File">File name inside the directory.</param>
/// <param name="Split">"train" or "validation".</param>
/// <param name="Tokens">Tokens in the shard (BOS included).</param>
/// <param name="Documents">Documents in the shard.</param>
public sealed record ShardEntry(string File, string Split, long Tokens, long Documents);

/// <summary>What a token-shard directory holds.</summary>
public sealed record ShardManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    /// <summary>The tokenizer's name.</summary>
    public required string Tokenizer { get; init; }
    /// <summary>Its fingerprint (<see cref="LmTokenizer.Fingerprint"/>).</summary>
    public required string TokenizerFingerprint { get; init; }
    /// <summary>Its serialized form (<see cref="LmTokenizer.Write"/>), base64.</summary>
    public required string TokenizerData { get; init; }
    public required int VocabSize { get; init; }
    public required int BosId { get; init; }
    /// <summary>1 = uint16 ids, 2 = uint32.</summary>
    public required int ShardVersion { get; init; }
    /// <summary>Share of documents held out (by a stable hash of the id and the seed).</summary>
    public required double ValidationFraction { get; init; }
    public required int SplitSeed { get; init; }
    /// <summary>What was read, as given (files, globs); a resume must read the same.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>Input documents whose tokens are in finished shards.</summary>
    public long DocumentsConsumed { get; init; }
    /// <summary>UTF-8 bytes of those documents.</summary>
    public long BytesConsumed { get; init; }
    /// <summary>True when the whole input was read.</summary>
    public bool Complete { get; init; }
    public IReadOnlyList<ShardEntry> Shards { get; init; } = [];

    /// <summary>Tokens of one split.</summary>
    public long TokensOf(string split) => Shards.Where(s => s.Split == split).Sum(s => s.Tokens);

    /// <summary>Rebuilds the tokenizer that made the ids.</summary>
    public LmTokenizer CreateTokenizer()
    {
        byte[] data;
        try { data = Convert.FromBase64String(TokenizerData); }
        catch (FormatException) { throw new InvalidDataException("The manifest's tokenizer data is not base64: the " +
            "manifest is damaged."); }
        using var reader = new BinaryReader(new MemoryStream(data));
        var tokenizer = LmTokenizer.Read(reader);
        if (tokenizer.Fingerprint != TokenizerFingerprint)
            throw new InvalidDataException($"The manifest's tokenizer rebuilds as [{tokenizer.Fingerprint}], not the " +
                $"[{TokenizerFingerprint}] it records: the manifest is damaged.");
        return tokenizer;
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The largest manifest read: its tokenizer's serialized form plus a line per shard stays far below
    /// this.</summary>
    public const long MaxBytes = 256L << 20;

    /// <summary>Reads <paramref name="directory"/>'s manifest.</summary>
    /// <exception cref="InvalidDataException">No manifest, or one this library cannot read.</exception>
    public static ShardManifest Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{directory}' has no {FileName}: it is not a token-shard directory. " +
                $"Write one with `lowrank tokenize` or TokenShards.Write.", path);
        ShardManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ShardManifest>(Common.UserFile.ReadAllText(path,
            MaxBytes, "shard manifest"), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a valid manifest ({e.Message}).", e); }
        if (manifest is null) throw new InvalidDataException($"{path} is empty.");
        if (manifest.Version > CurrentVersion)
            throw new InvalidDataException($"{path} is manifest version {manifest.Version}; this library " +
                $"reads {CurrentVersion}. Upgrade MLNet.LowRank.");
        if (manifest.Problem() is { } problem)
            throw new InvalidDataException($"{path} is damaged: {problem}. Tokenize again.");
        return manifest;
    }

    /// <summary>What makes a deserialized manifest unusable, or null. Shard files must be plain names inside the
    /// directory: a manifest is data, and must not make a reader open a file elsewhere.</summary>
    string? Problem()
    {
        if (Tokenizer is null || TokenizerFingerprint is null || TokenizerData is null || Inputs is null
            || Shards is null) return "a required field is null";
        if (VocabSize <= 0 || BosId < 0 || BosId >= VocabSize) return $"vocabulary {VocabSize} with BOS id {BosId}";
        if (ShardVersion is not (1 or 2)) return $"shard version {ShardVersion} (1 = uint16 ids, 2 = uint32)";
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) return $"validation fraction {ValidationFraction}";
        if (DocumentsConsumed < 0 || BytesConsumed < 0) return "negative counts";
        foreach (var s in Shards)
        {
            if (s is null) return "a null shard entry";
            if (s.File is null || s.File != System.IO.Path.GetFileName(s.File)
                || s.File is "." or ".." || !s.File.EndsWith(".bin", StringComparison.Ordinal))
                return $"shard file '{s.File}' is not a .bin file name inside the directory";
            if (s.Split is not ("train" or "validation")) return $"shard {s.File} has split '{s.Split}'";
            if (s.Tokens < 0 || s.Documents < 0) return $"shard {s.File} has negative counts";
        }
        // Each shard once: a file listed twice would double its training data, or make validation data training data.
        if (Shards.GroupBy(s => s.File, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return $"shard {twice.Key} is listed {twice.Count()} times " +
                $"({string.Join(" and ", twice.Select(s => s.Split))})";
        return null;
    }

    /// <summary>Writes this manifest into <paramref name="directory"/> atomically.</summary>
    public void Write(string directory) => Common.AtomicFile.WriteText(Path.Combine(directory, FileName),
        JsonSerializer.Serialize(this, Json));
}
