// The side-by-side table QuickStart prints: one row per model, with the time each took to reach a perplexity threshold
// read off its periodic evaluations.
using System.Globalization;
using System.Text;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Training;
using MLNet.LowRank.Transformers;

static class ComparisonTable
{
    /// <summary>The periodic validation perplexity at the evaluation nearest half the run's training time.</summary>
    public static double PerplexityAtHalfTime(IReadOnlyList<StepRecord> history)
    {
        var evaluations = history.Where(h => h.ValidationPerplexity is not null).ToList();
        if (evaluations.Count == 0) throw new InvalidOperationException("The baseline never evaluated; give --threshold.");
        double half = history[^1].TrainSeconds / 2;
        return evaluations.MinBy(h => Math.Abs(h.TrainSeconds - half))!.ValidationPerplexity!.Value;
    }

    /// <summary>The first evaluation at or below <paramref name="threshold"/>: training seconds and step, or null.</summary>
    public static (double Seconds, int Step)? Reached(IReadOnlyList<StepRecord> history, double threshold) =>
        history.FirstOrDefault(h => h.ValidationPerplexity <= threshold) is { } h ? (h.TrainSeconds, h.Step) : null;

    public static string Format(IEnumerable<(string Name, LowRankLmTransformer Model, LanguageModelMetrics Metrics)> rows, double threshold, bool thresholdFromBaseline)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (thresholdFromBaseline) sb.AppendLine(ci, $"Threshold: perplexity {threshold:F1}, the baseline's at half its training time (--threshold to choose one).");
        sb.AppendLine(ci, $"| model | parameters | non-embedding | val perplexity | bits/byte | time to ppl {threshold:0.#} | tokens/s | peak RSS |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, model, m) in rows)
        {
            var t = model.Training!;
            string reached = Reached(t.History, threshold) is { } r ? string.Create(ci, $"{r.Seconds:F0} s (step {r.Step})") : "not reached";
            sb.AppendLine(ci, $"| {name} | {model.Summary.TotalParameters:N0} | {model.Summary.NonEmbeddingParameters:N0} | {m.Perplexity:F2} | {m.BitsPerByte:F4} | {reached} | {t.TokensPerSecond:N0} | {t.PeakResidentBytes / 1048576.0:N0} MB |");
        }
        return sb.ToString();
    }
}
