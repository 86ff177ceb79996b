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
        if (options.Temperature == 0) return (int)logits.argmax().item<long>();
        var scaled = logits.div(n.Of(options.Temperature));
        if (options.TopK > 0 && options.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(options.TopK).values[-1];
            scaled = scaled.masked_fill(scaled < kth, n.Of(double.NegativeInfinity));
        }
        var probabilities = scaled.softmax(-1);
        if (options.TopP < 1)
        {
            // Keep the smallest set of most likely tokens whose mass reaches p: a token goes when the mass of the tokens
            // ranked above it already does. The most likely token always stays.
            var (sorted, order) = probabilities.sort(descending: true);
            var before = sorted.cumsum(0) - sorted;
            var kept = sorted.masked_fill(before >= n.Of(options.TopP), n.Of(0.0));
            probabilities = torch.zeros_like(probabilities).scatter_(0, order, kept);
        }
        return (int)torch.multinomial(probabilities, 1, generator: generator).item<long>();
    }
}
