// Scores one document (model-spec §4): BOS + tokens, every token predicted once; documents longer than the context are
// scored with a sliding window of stride T/2, so every counted token sees at least T/2 tokens of left context.
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Transformers;

/// <summary>Σ NLL (nats), predicted tokens and their UTF-8 bytes for one document.</summary>
public readonly record struct DocumentScore(double NegLogLikelihood, long Tokens, long Bytes);

internal static class DocumentScorer
{
    const int WindowsPerBatch = 16;

    public static DocumentScore Score(Gpt model, LmTokenizer tokenizer, int[] tokens)
    {
        if (tokens.Length == 0) return default;
        int t = model.Config.SequenceLength, stride = Math.Max(1, t / 2);
        var seq = new int[tokens.Length + 1];
        seq[0] = tokenizer.BosId;
        tokens.CopyTo(seq, 1);

        // Windows (start, first counted target position); targets are seq[start+1 .. start+len].
        var windows = new List<(int Start, int Length, int FirstCounted)>();
        int counted = 0; // targets at positions ≤ counted are done
        for (int start = 0; counted < seq.Length - 1; start += stride)
        {
            int length = Math.Min(t, seq.Length - 1 - start);
            windows.Add((start, length, counted + 1));
            counted = start + length;
        }

        double nll = 0;
        long count = 0, bytes = 0;
        using var noGrad = torch.no_grad();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            foreach (var group in windows.GroupBy(w => w.Length).SelectMany(g => g.Chunk(WindowsPerBatch)))
            {
                int len = group[0].Length, rows = group.Length;
                var x = new long[rows * len];
                var y = new long[rows * len];
                for (int r = 0; r < rows; r++)
                    for (int i = 0; i < len; i++)
                    {
                        x[r * len + i] = seq[group[r].Start + i];
                        y[r * len + i] = seq[group[r].Start + i + 1];
                    }
                using var scope = torch.NewDisposeScope();
                var logits = model.forward(torch.tensor(x, rows, len, device: model.Device));
                var losses = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), torch.tensor(y, device: model.Device), reduction: nn.Reduction.None)
                    .cpu().data<float>().ToArray();
                for (int r = 0; r < rows; r++)
                    for (int i = 0; i < len; i++)
                    {
                        int position = group[r].Start + i + 1;
                        int target = seq[position];
                        if (position < group[r].FirstCounted || target == tokenizer.BosId) continue;
                        nll += losses[r * len + i];
                        count++;
                        bytes += tokenizer.ByteLength(target);
                    }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new DocumentScore(nll, count, bytes);
    }
}
