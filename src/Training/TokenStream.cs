// A corpus as one token stream (model-spec §1 "data"): each document prefixed with BOS, all concatenated, cut into
// sequences of seqLen + 1 tokens (inputs are the first seqLen, targets the last seqLen). The tokens live in memory (a
// corpus read through ML.NET), or stay on disk in token shards read by position, so a corpus larger than memory trains
// with resident memory that does not grow with it.
using MLNet.LowRank.Data.Shards;

namespace MLNet.LowRank.Training;

/// <summary>Documents joined into one stream of token ids, each preceded by the BOS token.</summary>
public sealed class TokenStream : IDisposable
{
    readonly int[]? array;
    readonly MappedShard[] shards = [];
    readonly long[] shardStarts = [];
    readonly long[] documentStarts;

    /// <param name="documents">Token ids of each document, in a fixed order.</param>
    /// <param name="bosToken">The begin-of-sequence id put before every document.</param>
    public TokenStream(IEnumerable<IReadOnlyList<int>> documents, int bosToken)
    {
        var tokens = new List<int>();
        var starts = new List<long>();
        foreach (var doc in documents)
        {
            if (doc.Count == 0) continue;
            starts.Add(tokens.Count);
            tokens.Add(bosToken);
            tokens.AddRange(doc);
        }
        array = tokens.ToArray();
        Length = array.Length;
        BosToken = bosToken;
        documentStarts = starts.ToArray();
        MaxTokenId = array.Length == 0 ? -1 : array.Max();
        Identity = $"{Length} tokens #{Common.StableHash.Fnv1a(array):x16}";
    }

    TokenStream(MappedShard[] shards, int bosToken, string identity)
    {
        this.shards = shards;
        shardStarts = new long[shards.Length];
        for (int i = 1; i < shards.Length; i++) shardStarts[i] = shardStarts[i - 1] + shards[i - 1].Length;
        Length = shards.Sum(s => s.Length);
        BosToken = bosToken;
        Identity = identity;
        // One pass over the shards finds where documents start (at each BOS) and the largest id (checked against the
        // vocabulary before training), a chunk at a time.
        var starts = new List<long>();
        int max = -1;
        var buffer = new int[1 << 20];
        for (long at = 0; at < Length; at += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, Length - at));
            Read(at, chunk);
            for (int i = 0; i < chunk.Length; i++)
            {
                if (chunk[i] == bosToken) starts.Add(at + i);
                if (chunk[i] > max) max = chunk[i];
            }
        }
        if (Length > 0 && (starts.Count == 0 || starts[0] != 0))
            throw new InvalidDataException($"Token shards {shards[0].Path}…: the stream does not start with the BOS " +
                $"id {bosToken}; they were not written for this tokenizer.");
        documentStarts = starts.ToArray();
        MaxTokenId = max;
    }

    /// <summary>The stream of the token shards at <paramref name="paths"/> (in order), read by position, never loaded
    /// whole; each document must start with <paramref name="bosToken"/>. <paramref name="identity"/> names the data in
    /// checkpoint fingerprints.</summary>
    public static TokenStream FromShards(IReadOnlyList<string> paths, int bosToken, string identity)
    {
        var opened = new List<MappedShard>();
        try
        {
            foreach (var p in paths) opened.Add(new MappedShard(p));
            return new TokenStream(opened.ToArray(), bosToken, identity);
        }
        catch
        {
            foreach (var s in opened) s.Dispose();
            throw;
        }
    }

    /// <summary>The whole stream as an array: only for a stream held in memory.</summary>
    /// <exception cref="InvalidOperationException">The stream is on disk (token shards); use <see cref="Length"/> and
    /// <see cref="Read"/>.</exception>
    public int[] Tokens => array
        ?? throw new InvalidOperationException("This token stream reads token shards on disk; it is never loaded as " +
        "one array. Use Length and Read.");

    /// <summary>Tokens in the stream.</summary>
    public long Length { get; }

    /// <summary>The largest token id in the stream (−1 when empty).</summary>
    public int MaxTokenId { get; }

    /// <summary>What the stream holds, for checkpoint fingerprints: a hash of the tokens, or of the shards'
    /// manifest.</summary>
    public string Identity { get; }

    /// <summary>True when the tokens stay on disk.</summary>
    public bool IsMapped => array is null;

    /// <summary>The id prefixed to every document.</summary>
    public int BosToken { get; }

    /// <summary>Non-empty documents in the stream.</summary>
    public int DocumentCount => documentStarts.Length;

    /// <summary>Copies tokens [<paramref name="start"/>, start + destination.Length) into
    /// <paramref name="destination"/>.</summary>
    public void Read(long start, Span<int> destination)
    {
        if (array is not null)
        {
            array.AsSpan(checked((int)start), destination.Length).CopyTo(destination);
            return;
        }
        int shard = Array.BinarySearch(shardStarts, start);
        if (shard < 0) shard = ~shard - 1;
        int done = 0;
        while (done < destination.Length)
        {
            long within = start + done - shardStarts[shard];
            int n = (int)Math.Min(destination.Length - done, shards[shard].Length - within);
            shards[shard].Read(within, destination.Slice(done, n));
            done += n;
            shard++;
        }
    }

    /// <summary>The token ids of document <paramref name="index"/>, without its BOS.</summary>
    public int[] Document(int index)
    {
        long start = documentStarts[index] + 1;
        long end = index + 1 < documentStarts.Length ? documentStarts[index + 1] : Length;
        var tokens = new int[checked((int)(end - start))];
        Read(start, tokens);
        return tokens;
    }

    /// <summary>How many whole sequences of <paramref name="sequenceLength"/> + 1 tokens the stream holds.</summary>
    public int SequenceCount(int sequenceLength) => checked((int)(Length / (sequenceLength + 1)));

    /// <summary>Copies sequence <paramref name="index"/> into <paramref name="inputs"/> and <paramref name="targets"/>
    /// (each <paramref name="sequenceLength"/> long, at <paramref name="offset"/>).</summary>
    public void CopySequence(int index, int sequenceLength, long[] inputs, long[] targets, int offset)
    {
        long start = (long)index * (sequenceLength + 1);
        Span<int> window = sequenceLength < 8192 ? stackalloc int[sequenceLength + 1] : new int[sequenceLength + 1];
        Read(start, window);
        for (int i = 0; i < sequenceLength; i++)
        {
            inputs[offset + i] = window[i];
            targets[offset + i] = window[i + 1];
        }
    }

    /// <summary>Closes the shard files of a stream on disk.</summary>
    public void Dispose()
    {
        foreach (var s in shards) s.Dispose();
    }
}
