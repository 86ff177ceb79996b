// How likely a model finds a continuation after a prompt: the building block of cloze and multiple-choice evaluation
// (score each candidate ending, pick the most likely; or ask whether greedy decoding would have produced it).
namespace MLNet.LowRank.Evaluation;

/// <summary>The continuation's tokens as the model predicted them after BOS + prompt. Prompt and continuation are
/// tokenized separately and joined, so every candidate continuation of one prompt is scored after the same
/// tokens.</summary>
/// <param name="TokenIds">The continuation's token ids.</param>
/// <param name="TokenLogProbabilities">ln p(token | everything before it), one per token, in nats.</param>
/// <param name="IsGreedy">Every continuation token was the model's most likely token at its place.</param>
/// <param name="Bytes">UTF-8 bytes of the continuation (to normalise log-probabilities by length).</param>
public sealed record ContinuationScore(IReadOnlyList<int> TokenIds, IReadOnlyList<double> TokenLogProbabilities,
    bool IsGreedy, long Bytes)
{
    /// <summary>ln p(continuation | prompt): the sum of <see cref="TokenLogProbabilities"/>.</summary>
    public double LogProbability => TokenLogProbabilities.Sum();
}
