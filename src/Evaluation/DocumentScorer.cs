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

/// <summary>Every token of one document as the model predicted it: the negative log-likelihood (nats) of token i given
/// BOS and the tokens before it (within the window rule of <see cref="DocumentScorer"/>), and whether it was the
/// model's most likely token there.</summary>
public sealed record TokenScores(float[] NegLogLikelihood, bool[] IsGreedy);

/// <summary>Scores documents with a model.</summary>
public static class DocumentScorer
{
    /// <summary>Rows (windows) per forward pass.</summary>
    const int WindowsPerBatch = 16;

    /// <summary>Scores one document (token ids without BOS).</summary>
    public static DocumentScore Score(Gpt model, int bosId, IReadOnlyList<int> bytesPerToken, int[] tokens) =>
        ScoreEach(model, bosId, bytesPerToken, [tokens])[0];

    /// <summary>Scores each of <paramref name="documents"/> (token ids without BOS); BOS inside a document is not a
    /// predicted target.</summary>
    public static DocumentScore[] ScoreEach(Gpt model, int bosId, IReadOnlyList<int> bytesPerToken,
        IReadOnlyList<int[]> documents)
    {
        var scores = ScoreTokens(model, bosId, documents);
        return documents.Select((tokens, d) => Sum(scores[d], tokens, bosId, bytesPerToken)).ToArray();
    }

    /// <summary>The document's score from its per-token scores: BOS inside the document is not a predicted
    /// target.</summary>
    public static DocumentScore Sum(TokenScores scores, int[] tokens, int bosId, IReadOnlyList<int> bytesPerToken)
    {
        double nll = 0;
        long count = 0, bytes = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] == bosId) continue;
            nll += scores.NegLogLikelihood[i];
            count++;
            bytes += (uint)tokens[i] < (uint)bytesPerToken.Count ? bytesPerToken[tokens[i]] : 0;
        }
        return new DocumentScore(nll, count, bytes);
    }

    /// <summary>Refuses a token id outside the embedding table before it reaches libtorch (where an out-of-range index
    /// is an opaque native error on the CPU and a device assert that poisons the whole context on CUDA).</summary>
    static void CheckIds(IReadOnlyList<int[]> documents, int vocabSize)
    {
        for (int d = 0; d < documents.Count; d++)
        {
            var tokens = documents[d] ?? throw new ArgumentNullException(nameof(documents), $"Document {d} is null.");
            for (int i = 0; i < tokens.Length; i++)
                if ((uint)tokens[i] >= (uint)vocabSize)
                    throw new ArgumentOutOfRangeException(nameof(documents), tokens[i],
                        $"Token id {tokens[i]} at position {i:N0}{(documents.Count > 1 ? $" of document {d}" : "")} is outside this model's vocabulary (0 … {vocabSize - 1}): tokenize the text with the model's own tokenizer.");
        }
    }

    /// <summary>The per-token scores of each of <paramref name="documents"/> (token ids without BOS).</summary>
    public static TokenScores[] ScoreTokens(Gpt model, int bosId, IReadOnlyList<int[]> documents)
    {
        int t = model.Config.SequenceLength, stride = Math.Max(1, t / 2);
        CheckIds(documents, model.Config.VocabSize);
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

        var scores = documents.Select(d => new TokenScores(new float[d.Length], new bool[d.Length])).ToArray();
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
                var flat = logits.view(-1, logits.shape[^1]);
                var losses = nn.functional.cross_entropy(flat, torch.tensor(y, device: model.Device),
                    reduction: nn.Reduction.None)
                    .cpu().data<float>().ToArray();
                var argmax = flat.argmax(-1).cpu().data<long>().ToArray();
                for (int r = 0; r < rows; r++)
                {
                    var (doc, start, _, first) = group[r];
                    for (int i = 0; i < len; i++)
                    {
                        int position = start + i + 1;
                        if (position < first) continue;
                        scores[doc].NegLogLikelihood[position - 1] = losses[r * len + i];
                        scores[doc].IsGreedy[position - 1] = argmax[r * len + i] == sequences[doc][position];
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return scores;
    }

    static int[] Prepend(int bos, int[] tokens)
    {
        var seq = new int[tokens.Length + 1];
        seq[0] = bos;
        tokens.CopyTo(seq, 1);
        return seq;
    }
}
