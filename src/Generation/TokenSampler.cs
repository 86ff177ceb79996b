// Picks the next token from one row's logits: argmax at temperature 0, otherwise a draw from the row's own seeded
// generator after temperature, top-k and top-p (nucleus) cuts.
using TorchSharp;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Generation;

internal static class TokenSampler
{
    /// <param name="logits">One row's logits (vocab), float32.</param>
    public static int Next(Tensor logits, GenerationOptions options, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        // Below 1e-30 the float32 quotient cannot be formed (the temperature itself rounds to 0): the limit of sampling
        // as the temperature goes to 0 is the greedy token, so that is what such a temperature gives.
        if (options.Temperature < GenerationOptions.GreedyBelow) return (int)logits.argmax().item<long>();
        // Shifted so the largest logit is 0 before dividing: at a temperature near zero the quotient then runs to −∞
        // (probability 0) instead of overflowing to +∞, whose softmax is NaN.
        var scaled = (logits - logits.max()).div(n.Of(options.Temperature));
        if (options.TopK > 0 && options.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(options.TopK).values[-1];
            scaled = scaled.masked_fill(scaled < kth, n.Of(double.NegativeInfinity));
        }
        var probabilities = scaled.softmax(-1);
        if (options.TopP < 1)
        {
            // Keep the smallest set of most likely tokens whose mass reaches p: a token goes when the mass of the
            // tokens ranked above it already does. The most likely token always stays.
            var (sorted, order) = probabilities.sort(descending: true);
            var before = sorted.cumsum(0) - sorted;
            var kept = sorted.masked_fill(before >= n.Of(options.TopP), n.Of(0.0));
            probabilities = torch.zeros_like(probabilities).scatter_(0, order, kept);
        }
        return (int)torch.multinomial(probabilities, 1, generator: generator).item<long>();
    }
}
