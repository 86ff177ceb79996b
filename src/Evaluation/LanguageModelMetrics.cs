// The pipeline metrics of a language model (model-spec §4), token-weighted over the whole scored set.
namespace MLNet.LowRank.Evaluation;

/// <summary>Held-out quality of a language model.</summary>
public sealed class LanguageModelMetrics
{
    internal LanguageModelMetrics(double nll, long tokens, long bytes, long documents)
    {
        NegLogLikelihood = nll;
        TokenCount = tokens;
        ByteCount = bytes;
        DocumentCount = documents;
        sums = new EvalResult(nll, tokens, bytes);
    }

    // The formulas are EvalResult's (model-spec §4), written once.
    readonly EvalResult sums;

    /// <summary>Σ negative log-likelihood over every predicted token, in nats.</summary>
    public double NegLogLikelihood { get; }

    /// <summary>Predicted tokens (BOS is never a target).</summary>
    public long TokenCount { get; }

    /// <summary>UTF-8 bytes of the predicted tokens.</summary>
    public long ByteCount { get; }

    /// <summary>Documents scored.</summary>
    public long DocumentCount { get; }

    /// <summary>Σ NLL ÷ Σ tokens, nats per token.</summary>
    public double CrossEntropy => sums.CrossEntropy;

    /// <summary>exp(cross-entropy), over the whole set (never a mean of per-document perplexities). Compare only
    /// between runs with the same tokenizer.</summary>
    public double Perplexity => sums.Perplexity;

    /// <summary>Σ NLL ÷ (ln 2 · Σ bytes): comparable across tokenizers.</summary>
    public double BitsPerByte => sums.BitsPerByte;

    /// <summary>Cross-entropy in bits.</summary>
    public double BitsPerToken => CrossEntropy / Math.Log(2);

    public override string ToString() =>
        $"perplexity {Perplexity:F3}, cross-entropy {CrossEntropy:F4} nats/token, {BitsPerByte:F4} bits/byte, {BitsPerToken:F4} bits/token over {TokenCount:N0} tokens ({ByteCount:N0} bytes, {DocumentCount:N0} documents)";
}
