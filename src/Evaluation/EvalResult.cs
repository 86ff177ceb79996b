// A held-out score as sums (model-spec §4), so that figures over many documents or batches combine exactly.
namespace MLNet.LowRank.Evaluation;

/// <summary>Summed negative log-likelihood over a set, with what it was summed over.</summary>
/// <param name="Nll">Σ NLL in nats.</param>
/// <param name="Tokens">Predicted tokens.</param>
/// <param name="Bytes">UTF-8 bytes of the predicted tokens.</param>
public sealed record EvalResult(double Nll, long Tokens, long Bytes)
{
    /// <summary>Σ NLL ÷ Σ tokens, nats per token.</summary>
    public double CrossEntropy => Tokens == 0 ? double.NaN : Nll / Tokens;

    /// <summary>exp(cross-entropy), token-weighted over the whole set.</summary>
    public double Perplexity => Math.Exp(CrossEntropy);

    /// <summary>Σ NLL ÷ (ln 2 · Σ bytes).</summary>
    public double BitsPerByte => Bytes == 0 ? double.NaN : Nll / (Math.Log(2) * Bytes);
}
