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
        if (evaluations.Count == 0)
            throw new InvalidOperationException("The baseline never evaluated; give --threshold.");
        double half = history[^1].TrainSeconds / 2;
        return evaluations.MinBy(h => Math.Abs(h.TrainSeconds - half))!.ValidationPerplexity!.Value;
    }

    /// <summary>The first evaluation at or below <paramref name="threshold"/>: training seconds and step, or
    /// null.</summary>
    public static (double Seconds, int Step)? Reached(IReadOnlyList<StepRecord> history, double threshold) =>
        history.FirstOrDefault(h => h.ValidationPerplexity <= threshold) is { } h ? (h.TrainSeconds, h.Step) : null;

    public static string Format(IEnumerable<(string Name, LowRankLmTransformer Model, LanguageModelMetrics Metrics)> rows, double threshold, bool thresholdFromBaseline)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (thresholdFromBaseline)
            sb.AppendLine(ci, $"Threshold: perplexity {threshold:F1}, the baseline's at half its training time (--threshold to choose one).");
        sb.AppendLine(ci, $"| model | parameters | non-embedding | val perplexity | bits/byte | time to ppl {threshold:0.#} | tokens/s | peak RSS |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, model, m) in rows)
        {
            var t = model.Training!;
            string reached = Reached(t.History,
                threshold) is { } r ? string.Create(ci, $"{r.Seconds:F0} s (step {r.Step})") : "not reached";
            sb.AppendLine(ci, $"| {name} | {model.Summary.TotalParameters:N0} | {model.Summary.NonEmbeddingParameters:N0} | {m.Perplexity:F2} | {m.BitsPerByte:F4} | {reached} | {t.TokensPerSecond:N0} | {t.PeakResidentBytes / 1048576.0:N0} MB |");
        }
        return sb.ToString();
    }

    /// <summary>What one short, single-seed run of each model cannot show, from the runs' own figures: the models had
    /// the same wall-clock budget, not the same tokens, and a short budget favours the smaller, faster model.</summary>
    public static string WhatThisCannotShow(IReadOnlyList<(string Name, LowRankLmTransformer Model, LanguageModelMetrics Metrics)> rows, double seconds)
    {
        var ci = CultureInfo.InvariantCulture;
        var tokens = rows.Select(r => (r.Name, Tokens: r.Model.Training!.History.LastOrDefault()?.Tokens ?? 0,
            r.Metrics.Perplexity)).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"What this run cannot show: each model had {seconds:0} s of training, one seed, no interval. In that time they saw {string.Join(" and ", tokens.Select(t => $"{t.Tokens:N0} tokens ({t.Name})"))}.");
        sb.AppendLine("A short wall-clock budget favours the smaller, faster model: it takes more steps before the " +
            "time runs out, so whichever model is ahead here says little about which one reaches the lower loss once " +
            "both have trained long enough.");
        sb.AppendLine("That is the study's question — trained to 2 × compute-optimal, 3–5 seeds per point, with " +
            "intervals: see the verdicts in docs/results.md (version 2) and docs/results-v3.md (version 3: a 4 × " +
            "budget, size and factoring controls, three widths).");
        return sb.ToString();
    }
}
