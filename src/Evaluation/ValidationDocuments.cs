// Periodic evaluation that measures the final metric's quantity: the same per-document definition (DocumentScorer:
// BOS, then every token predicted from its left context) on a fixed subset of the validation set spread over all of it.
// With a budget below the whole set, every document (or, for very many, documents at even spacing) contributes its
// opening tokens — so a genre-ordered validation set contributes every genre, never the first few documents of one.
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Evaluation;

/// <summary>Σ NLL over a fixed subset of held-out documents.</summary>
public sealed class ValidationDocuments : IValidationEvaluator
{
    readonly int[][] documents;
    readonly int bosId;
    readonly IReadOnlyList<int> bytesPerToken;

    /// <param name="documents">The held-out documents' token ids (without BOS), in the set's order.</param>
    /// <param name="bosId">The BOS id put before each document.</param>
    /// <param name="bytesPerToken">UTF-8 bytes of each token id (special tokens 0).</param>
    /// <param name="maxTokens">0 = every document, whole. Otherwise, when the set holds more: k = min(n, ⌊maxTokens ÷
    /// <paramref name="minimumPrefix"/>⌋) documents (all of them, or document ⌊(j + ½)·n / k⌋ for j &lt; k), each cut
    /// to its first ⌈maxTokens ÷ k⌉ tokens. Scores of prefixes are higher than of whole documents (less context); the
    /// figure is the same for every model, so curves and time to threshold compare.</param>
    /// <param name="minimumPrefix">The shortest prefix taken from a chosen document (a model's context is a good
    /// choice).</param>
    public ValidationDocuments(IReadOnlyList<int[]> documents, int bosId, IReadOnlyList<int> bytesPerToken,
        int maxTokens = 0, int minimumPrefix = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumPrefix, 1);
        var nonEmpty = documents.Where(d => d.Length > 0).ToArray();
        if (nonEmpty.Length == 0)
            throw new ArgumentException("The validation set has no tokens (no documents, or only empty ones). Add " +
                "held-out text or pass no validation set.", nameof(documents));
        int n = nonEmpty.Length;
        long total = nonEmpty.Sum(d => (long)d.Length);
        bool whole = maxTokens == 0 || total <= maxTokens;
        int k = whole ? n : Math.Clamp(maxTokens / minimumPrefix, 1, n);
        int prefix = whole ? int.MaxValue : (int)Math.Ceiling((double)maxTokens / k);
        Selected = Enumerable.Range(0, k).Select(j => k == n ? j : (int)((j + 0.5) * n / k)).ToArray();
        this.documents = Selected.Select(i => nonEmpty[i].Length <= prefix ? nonEmpty[i]
            : nonEmpty[i][..prefix]).ToArray();
        this.bosId = bosId;
        this.bytesPerToken = bytesPerToken;
        TotalDocuments = n;
        PrefixTokens = whole ? null : prefix;
        Tokens = this.documents.Sum(d => (long)d.Length);
        Identity = $"{this.documents.Length} of {TotalDocuments} documents{(whole ? "" : $", first {prefix} tokens of each")}, {Tokens} tokens #{Common.StableHash.Fnv1a(this.documents.SelectMany(d => d).ToArray()):x16}";
    }

    /// <summary>The documents of <paramref name="stream"/>, subset as the constructor describes.</summary>
    public static ValidationDocuments FromStream(TokenStream stream, IReadOnlyList<int> bytesPerToken,
        int maxTokens = 0, int minimumPrefix = 256) =>
        new(Enumerable.Range(0, stream.DocumentCount).Select(stream.Document).ToArray(), stream.BosToken,
        bytesPerToken, maxTokens, minimumPrefix);

    /// <summary>Indices of the scored documents among the set's non-empty documents, in order.</summary>
    public IReadOnlyList<int> Selected { get; }

    /// <summary>The length each scored document was cut to, or null when documents are scored whole.</summary>
    public int? PrefixTokens { get; }

    /// <summary>Documents scored.</summary>
    public int DocumentCount => documents.Length;

    /// <summary>Non-empty documents in the whole set.</summary>
    public int TotalDocuments { get; }

    /// <summary>Tokens in the scored documents (BOS excluded).</summary>
    public long Tokens { get; }

    public string Identity { get; }

    public EvalResult Evaluate(Gpt model)
    {
        var scores = DocumentScorer.ScoreEach(model, bosId, bytesPerToken, documents);
        return new EvalResult(scores.Sum(s => s.NegLogLikelihood), scores.Sum(s => s.Tokens), scores.Sum(s => s.Bytes));
    }

    public override string ToString() => Identity;
}
