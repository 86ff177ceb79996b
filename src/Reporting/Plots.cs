// The report's figures (ScottPlot, PNG): loss against training wall-clock on a log axis (the plan's Figure 2),
// parameters by group per trial (Figure 1), the Pareto frontier, perplexity against attention and MLP rank, and the
// per-layer rank profile of each trial.
using MLNet.LowRank.Experiments;
using ScottPlot;

namespace MLNet.LowRank.Reporting;

/// <summary>Writes the report's PNG figures.</summary>
public static class Plots
{
    const int Width = 900, Height = 560;

    /// <summary>Training loss vs training seconds (log10 x), one line per trial.</summary>
    public static void LossVsTime(IReadOnlyList<TrialResult> trials, string path)
    {
        var plot = new Plot();
        foreach (var t in trials.Where(t => t.LossCurve.Count > 1))
        {
            var points = t.LossCurve.Where(p => p.TrainSeconds > 0 && double.IsFinite(p.TrainLoss)).ToList();
            if (points.Count < 2) continue;
            var line = plot.Add.ScatterLine(points.Select(p => Math.Log10(p.TrainSeconds)).ToArray(), points.Select(p => p.TrainLoss).ToArray());
            line.LegendText = Label(t);
        }
        LogAxis(plot.Axes.Bottom);
        Finish(plot, "Training loss against training wall-clock", "training seconds (log scale)", "training loss (nats/token)", path);
    }

    /// <summary>Stacked bars: embedding, attention, MLP, head parameters per trial.</summary>
    public static void ParameterCounts(IReadOnlyList<TrialResult> trials, string path)
    {
        var plot = new Plot();
        var groups = new (string Name, Func<TrialResult, long> Count)[]
        {
            ("embedding", t => t.EmbeddingParameters), ("attention", t => t.AttentionParameters), ("MLP", t => t.MlpParameters), ("head", t => t.HeadParameters),
        };
        var palette = new ScottPlot.Palettes.Category10();
        for (int g = 0; g < groups.Length; g++)
        {
            var bars = trials.Select((t, i) => new Bar
            {
                Position = i,
                ValueBase = groups.Take(g).Sum(x => x.Count(t)) / 1e6,
                Value = groups.Take(g + 1).Sum(x => x.Count(t)) / 1e6,
                FillColor = palette.GetColor(g),
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.LegendText = groups[g].Name;
        }
        plot.Axes.Bottom.SetTicks(trials.Select((_, i) => (double)i).ToArray(), trials.Select(t => $"#{t.Index}").ToArray());
        Finish(plot, "Parameters by group (millions)", "trial", "parameters (M)", path);
    }

    /// <summary>Perplexity against non-embedding parameters, the frontier drawn as a line.</summary>
    public static void ParetoFrontier(IReadOnlyList<TrialResult> trials, string path)
    {
        var done = trials.Where(t => t.Perplexity is not null).ToList();
        var plot = new Plot();
        if (done.Count > 0)
        {
            var all = plot.Add.ScatterPoints(done.Select(t => t.NonEmbeddingParameters / 1e6).ToArray(), done.Select(t => t.Perplexity!.Value).ToArray());
            all.LegendText = "trials";
            var frontier = Pareto.Frontier(done, t => t.NonEmbeddingParameters, t => t.Perplexity!.Value);
            var line = plot.Add.ScatterLine(frontier.Select(t => t.NonEmbeddingParameters / 1e6).ToArray(), frontier.Select(t => t.Perplexity!.Value).ToArray());
            line.LegendText = "Pareto frontier";
            line.LineWidth = 2;
            foreach (var t in done)
                plot.Add.Text($"#{t.Index}", t.NonEmbeddingParameters / 1e6, t.Perplexity!.Value);
        }
        Finish(plot, "Pareto frontier: parameters against perplexity", "non-embedding parameters (M)", "validation perplexity", path);
    }

    /// <summary>Perplexity against the value of <paramref name="parameter"/> (a rank, or any numeric option such as a
    /// learning rate or the depth; log2 x axis): one line per setting of the other
    /// parameters, so a one-at-a-time scan shows its scan line and the other scans' trials as separate points.</summary>
    public static void PerplexityVs(IReadOnlyList<TrialResult> trials, string parameter, string path)
    {
        var plot = new Plot();
        var groups = trials.Where(t => t.Perplexity is not null && t.Parameters.ContainsKey(parameter))
            .GroupBy(t => TrialKey.Of(t.Parameters.Where(p => p.Key != parameter).ToDictionary(p => p.Key, p => p.Value)));
        foreach (var group in groups)
        {
            var points = group.Select(t => (X: ValueOf(t, parameter), Y: t.Perplexity!.Value))
                .Where(p => p.X > 0).OrderBy(p => p.X).ToList();
            if (points.Count == 0) continue;
            var s = plot.Add.Scatter(points.Select(p => Math.Log2(p.X)).ToArray(), points.Select(p => p.Y).ToArray());
            s.LegendText = group.Key.Length == 0 ? parameter : group.Key.Replace(';', ' ');
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(2, v).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        };
        bool isRank = parameter is "AttentionRank" or "MlpRank";
        Finish(plot, $"Perplexity against {parameter}", $"{parameter} (log2 scale{(isRank ? "; dense = model width" : "")})", "validation perplexity", path);
    }

    /// <summary>Attention and MLP rank per block, one line per trial.</summary>
    public static void RankProfiles(IReadOnlyList<TrialResult> trials, string path)
    {
        var plot = new Plot();
        foreach (var t in trials.Where(t => t.MlpRanks.Length > 0))
        {
            var xs = Enumerable.Range(0, t.MlpRanks.Length).Select(i => (double)i).ToArray();
            var mlp = plot.Add.Scatter(xs, t.MlpRanks.Select(r => (double)r).ToArray());
            mlp.LegendText = $"{Label(t)} MLP";
            var attention = plot.Add.Scatter(xs, t.AttentionRanks.Select(r => (double)r).ToArray());
            attention.LegendText = $"{Label(t)} attention";
            attention.LinePattern = LinePattern.Dashed;
        }
        Finish(plot, "Rank per block", "block", "rank", path);
    }

    static double ValueOf(TrialResult t, string parameter) => parameter switch
    {
        "AttentionRank" => RankValue(t.Parameters[parameter], t.AttentionRanks),
        "MlpRank" => RankValue(t.Parameters[parameter], t.MlpRanks),
        _ => double.TryParse(t.Parameters[parameter], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : 0,
    };

    /// <summary>The rank a value stands for: an integer as is; a fraction, "dense" or a schedule as the mean rank the
    /// blocks resolved to (dense blocks report the model width).</summary>
    static double RankValue(string value, int[] resolved)
    {
        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && v >= 1)
            return v;
        return resolved.Length == 0 ? 0 : resolved.Average();
    }

    static string Label(TrialResult t) => $"#{t.Index} " + string.Join(" ", t.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    static void LogAxis(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    static void Finish(Plot plot, string title, string x, string y, string path)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }
}
