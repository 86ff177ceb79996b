// The side-by-side table QuickStart prints: one row per model.
using System.Globalization;
using System.Text;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Transformers;

static class ComparisonTable
{
    public static string Format(IEnumerable<(string Name, LowRankLmTransformer Model, LanguageModelMetrics Metrics)> rows, double threshold)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"| model | parameters | non-embedding | val perplexity | bits/byte | time to ppl {threshold:0} | tokens/s | peak RSS |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, model, m) in rows)
        {
            var t = model.Training!;
            string reached = t.TimeToThreshold is { } r ? string.Create(ci, $"{r.TrainSeconds:F0} s (step {r.Step})") : "not reached";
            sb.AppendLine(ci, $"| {name} | {model.Summary.TotalParameters:N0} | {model.Summary.NonEmbeddingParameters:N0} | {m.Perplexity:F2} | {m.BitsPerByte:F4} | {reached} | {t.TokensPerSecond:N0} | {t.PeakResidentBytes / 1048576.0:N0} MB |");
        }
        return sb.ToString();
    }
}
