// The held-out metric's definition (model-spec §4), for one document or many: BOS + tokens, every token predicted once
// from its full left context within the window; documents longer than the context are scored with windows of stride
// T/2, so every counted token sees at least T/2 tokens of left context. Windows of equal length from many documents
// share a batch. The final metric (Evaluate on a transformed IDataView) and periodic evaluation during training both
// run this code, so their figures are the same quantity.
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Evaluation;

/// <summary>Σ NLL (nats), predicted tokens and their UTF-8 bytes for one document.</summary>
public readonly record struct DocumentScore(double NegLogLikelihood, long Tokens, long Bytes);

/// <summary>Scores documents with a model.</summary>
public static class DocumentScorer
{
    /// <summary>Rows (windows) per forward pass.</summary>
    const int WindowsPerBatch = 16;

    /// <summary>Scores one document (token ids without BOS).</summary>
    public static DocumentScore Score(Gpt model, int bosId, IReadOnlyList<int> bytesPerToken, int[] tokens) =>
        ScoreEach(model, bosId, bytesPerToken, [tokens])[0];

    /// <summary>Scores each of <paramref name="documents"/> (token ids without BOS); special tokens (0 bytes in
    /// <paramref name="bytesPerToken"/>, BOS included) are not predicted targets.</summary>
    public static DocumentScore[] ScoreEach(Gpt model, int bosId, IReadOnlyList<int> bytesPerToken, IReadOnlyList<int[]> documents)
    {
        int t = model.Config.SequenceLength, stride = Math.Max(1, t / 2);
        var sequences = documents.Select(d => d.Length == 0 ? [] : Prepend(bosId, d)).ToArray();
        // Windows (document, start, length, first counted target position); targets are seq[start+1 .. start+len].
        var windows = new List<(int Doc, int Start, int Length, int FirstCounted)>();
        for (int d = 0; d < sequences.Length; d++)
        {
            var seq = sequences[d];
            int counted = 0; // targets at positions ≤ counted are done
            for (int start = 0; counted < seq.Length - 1; start += stride)
            {
                int length = Math.Min(t, seq.Length - 1 - start);
                windows.Add((d, start, length, counted + 1));
                counted = start + length;
            }
        }

        var nll = new double[sequences.Length];
        var count = new long[sequences.Length];
        var bytes = new long[sequences.Length];
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
                {
                    var seq = sequences[group[r].Doc];
                    for (int i = 0; i < len; i++)
                    {
                        x[r * len + i] = seq[group[r].Start + i];
                        y[r * len + i] = seq[group[r].Start + i + 1];
                    }
                }
                using var scope = torch.NewDisposeScope();
                var logits = model.forward(torch.tensor(x, rows, len, device: model.Device));
                var losses = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), torch.tensor(y, device: model.Device), reduction: nn.Reduction.None)
                    .cpu().data<float>().ToArray();
                for (int r = 0; r < rows; r++)
                {
                    var (doc, start, _, first) = group[r];
                    for (int i = 0; i < len; i++)
                    {
                        int position = start + i + 1;
                        int target = sequences[doc][position];
                        if (position < first || target == bosId) continue;
                        nll[doc] += losses[r * len + i];
                        count[doc]++;
                        bytes[doc] += (uint)target < (uint)bytesPerToken.Count ? bytesPerToken[target] : 0;
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return Enumerable.Range(0, sequences.Length).Select(d => new DocumentScore(nll[d], count[d], bytes[d])).ToArray();
    }

    static int[] Prepend(int bos, int[] tokens)
    {
        var seq = new int[tokens.Length + 1];
        seq[0] = bos;
        tokens.CopyTo(seq, 1);
        return seq;
    }
}
