// Sampling text from a trained model: greedy at temperature 0, otherwise temperature + optional top-k, from a seeded
// generator so the same seed gives the same text. The context is cropped to the model's sequence length.
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Transformers;

internal static class TextGenerator
{
    public static string Generate(Gpt model, LmTokenizer tokenizer, string prompt, int maxTokens, double temperature, int topK, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (!(temperature >= 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature must be ≥ 0 (0 = greedy); got {temperature}.");
        ArgumentOutOfRangeException.ThrowIfNegative(topK);

        var ids = new List<int> { tokenizer.BosId };
        ids.AddRange(tokenizer.Encode(prompt));
        int promptLength = ids.Count, t = model.Config.SequenceLength;
        using var generator = new torch.Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            for (int step = 0; step < maxTokens; step++)
            {
                using var scope = torch.NewDisposeScope();
                var context = ids.Skip(Math.Max(0, ids.Count - t)).Select(i => (long)i).ToArray();
                var logits = model.forward(torch.tensor(context, 1, context.Length, device: model.Device))[0, -1].to(ScalarType.Float32).cpu();
                int next;
                if (temperature == 0) next = (int)logits.argmax().item<long>();
                else
                {
                    var scaled = logits / temperature;
                    if (topK > 0 && topK < scaled.shape[0])
                    {
                        var kth = scaled.topk(topK).values[-1];
                        scaled = scaled.masked_fill(scaled < kth, double.NegativeInfinity);
                    }
                    next = (int)torch.multinomial(scaled.softmax(-1), 1, generator: generator).item<long>();
                }
                if (next == tokenizer.BosId) break; // the model ended the document
                ids.Add(next);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return tokenizer.Decode(ids.Skip(promptLength));
    }
}
