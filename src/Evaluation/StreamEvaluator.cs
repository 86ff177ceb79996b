// Held-out loss over a token stream (model-spec §4): Σ NLL ÷ Σ predicted tokens, every token predicted from its left
// context within its sequence; BOS targets are special tokens, so they are neither predicted nor counted as bytes.
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>Nats per byte: Σ NLL ÷ Σ bytes.</summary>
    public double NatsPerByte => Bytes == 0 ? double.NaN : Nll / Bytes;
}

/// <summary>Scores the sequences of a <see cref="TokenStream"/> with a model.</summary>
public static class StreamEvaluator
{
    /// <summary>Evaluates the first whole sequences of <paramref name="stream"/> holding at most <paramref name="maxTokens"/>
    /// targets (0 = all).</summary>
    /// <param name="bytesPerToken">UTF-8 byte length of each token id (special tokens 0).</param>
    public static EvalResult Evaluate(Gpt model, TokenStream stream, int batchSize, int maxTokens, IReadOnlyList<int> bytesPerToken)
    {
        int seq = model.Config.SequenceLength;
        int sequences = stream.SequenceCount(seq);
        if (maxTokens > 0) sequences = Math.Min(sequences, Math.Max(1, maxTokens / seq));
        if (sequences < 1)
            throw new ArgumentException($"The validation stream has {stream.Tokens.Length} tokens, fewer than one sequence of {seq + 1}.", nameof(stream));

        var inputs = new long[batchSize * seq];
        var targets = new long[batchSize * seq];
        double nll = 0;
        long tokens = 0, bytes = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            for (int first = 0; first < sequences; first += batchSize)
            {
                int rows = Math.Min(batchSize, sequences - first);
                for (int r = 0; r < rows; r++) stream.CopySequence(first + r, seq, inputs, targets, r * seq);
                for (int i = 0; i < rows * seq; i++)
                {
                    if (targets[i] == stream.BosToken) targets[i] = -1;
                    else
                    {
                        tokens++;
                        bytes += bytesPerToken[(int)targets[i]];
                    }
                }
                using var scope = torch.NewDisposeScope();
                var x = torch.tensor(inputs.AsSpan(0, rows * seq).ToArray(), rows, seq, device: model.Device);
                var y = torch.tensor(targets.AsSpan(0, rows * seq).ToArray(), rows, seq, device: model.Device);
                var logits = model.forward(x);
                var sum = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), y.view(-1), ignore_index: -1, reduction: nn.Reduction.Sum);
                nll += sum.item<float>();
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new EvalResult(nll, tokens, bytes);
    }
}
