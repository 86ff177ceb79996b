// A corpus as one token stream (model-spec §1 "data"): each document prefixed with BOS, all concatenated, cut into
// sequences of seqLen + 1 tokens (inputs are the first seqLen, targets the last seqLen).
namespace MLNet.LowRank.Training;

/// <summary>Documents joined into one stream of token ids, each preceded by the BOS token.</summary>
public sealed class TokenStream
{
    /// <param name="documents">Token ids of each document, in a fixed order.</param>
    /// <param name="bosToken">The begin-of-sequence id put before every document.</param>
    public TokenStream(IEnumerable<IReadOnlyList<int>> documents, int bosToken)
    {
        var tokens = new List<int>();
        var starts = new List<int>();
        foreach (var doc in documents)
        {
            if (doc.Count == 0) continue;
            starts.Add(tokens.Count);
            tokens.Add(bosToken);
            tokens.AddRange(doc);
        }
        Tokens = tokens.ToArray();
        BosToken = bosToken;
        documentStarts = starts.ToArray();
    }

    readonly int[] documentStarts;

    /// <summary>The whole stream.</summary>
    public int[] Tokens { get; }

    /// <summary>The id prefixed to every document.</summary>
    public int BosToken { get; }

    /// <summary>Non-empty documents in the stream.</summary>
    public int DocumentCount => documentStarts.Length;

    /// <summary>The token ids of document <paramref name="index"/>, without its BOS.</summary>
    public int[] Document(int index)
    {
        int start = documentStarts[index] + 1;
        int end = index + 1 < documentStarts.Length ? documentStarts[index + 1] : Tokens.Length;
        return Tokens[start..end];
    }

    /// <summary>How many whole sequences of <paramref name="sequenceLength"/> + 1 tokens the stream holds.</summary>
    public int SequenceCount(int sequenceLength) => Tokens.Length / (sequenceLength + 1);

    /// <summary>Copies sequence <paramref name="index"/> into <paramref name="inputs"/> and <paramref name="targets"/>
    /// (each <paramref name="sequenceLength"/> long, at <paramref name="offset"/>).</summary>
    public void CopySequence(int index, int sequenceLength, long[] inputs, long[] targets, int offset)
    {
        int start = index * (sequenceLength + 1);
        for (int i = 0; i < sequenceLength; i++)
        {
            inputs[offset + i] = Tokens[start + i];
            targets[offset + i] = Tokens[start + i + 1];
        }
    }
}
