// Periodic evaluation that measures the final metric: the same per-document definition (DocumentScorer) on a fixed
// subset of whole validation documents, spread evenly over the set. A validation set stratified by genre and kept in
// its order (as SplitByDocument gives it) then contributes every genre, not the first few documents of one.
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
    /// <param name="maxTokens">Score about this many tokens: whole documents chosen at even spacing over the set
    /// (document ⌊(j + ½)·n / k⌋ for j &lt; k, with k = ⌈maxTokens ÷ mean document length⌉); 0 = every document.</param>
    public ValidationDocuments(IReadOnlyList<int[]> documents, int bosId, IReadOnlyList<int> bytesPerToken, int maxTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var nonEmpty = documents.Where(d => d.Length > 0).ToArray();
        if (nonEmpty.Length == 0)
            throw new ArgumentException("The validation set has no tokens (no documents, or only empty ones). Add held-out text or pass no validation set.", nameof(documents));
        long total = nonEmpty.Sum(d => (long)d.Length);
        int k = maxTokens == 0 || total <= maxTokens ? nonEmpty.Length
            : (int)Math.Clamp(Math.Ceiling(maxTokens / ((double)total / nonEmpty.Length)), 1, nonEmpty.Length);
        Selected = Enumerable.Range(0, k).Select(j => k == nonEmpty.Length ? j : (int)((j + 0.5) * nonEmpty.Length / k)).ToArray();
        this.documents = Selected.Select(i => nonEmpty[i]).ToArray();
        this.bosId = bosId;
        this.bytesPerToken = bytesPerToken;
        TotalDocuments = nonEmpty.Length;
        Tokens = this.documents.Sum(d => (long)d.Length);
        Identity = $"{this.documents.Length} of {TotalDocuments} documents, {Tokens} tokens #{Common.StableHash.Fnv1a(this.documents.SelectMany(d => d).ToArray()):x16}";
    }

    /// <summary>The documents of <paramref name="stream"/>, subset as the constructor describes.</summary>
    public static ValidationDocuments FromStream(TokenStream stream, IReadOnlyList<int> bytesPerToken, int maxTokens = 0) =>
        new(Enumerable.Range(0, stream.DocumentCount).Select(stream.Document).ToArray(), stream.BosToken, bytesPerToken, maxTokens);

    /// <summary>Indices of the scored documents among the set's non-empty documents, in order.</summary>
    public IReadOnlyList<int> Selected { get; }

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
