// The report's figures (ScottPlot, PNG): loss against training wall-clock on a log axis (the plan's Figure 2),
// parameters by group per trial (Figure 1), the Pareto frontier, perplexity against attention and MLP rank, and the
// per-layer rank profile of each trial. Made to be read at a glance: a smoothed training loss with the raw one faint
// behind it and the validation points on top, legends beside the data rather than over it, only the frontier's points
// labelled, and the same colour for the same trial (by its index) in every figure of a report.
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using ScottPlot;

namespace MLNet.LowRank.Reporting;

/// <summary>Writes the report's PNG figures.</summary>
public static class Plots
{
    const int Width = 900, Height = 560;

    /// <summary>The most curves one loss figure draws: beyond this a figure is a tangle.</summary>
    public const int MaxCurves = 8;

    /// <summary>Training loss vs training seconds (log10 x), one colour per trial: the loss smoothed (an exponential
    /// moving average), the raw loss faint behind it, and the validation loss as points. With more than
    /// <see cref="MaxCurves"/> trials, the best ones by validation perplexity (the title says so).</summary>
    public static void LossVsTime(IReadOnlyList<TrialResult> trials, string path)
    {
        var drawn = trials.Where(t => t.LossCurve.Count > 1).ToList();
        string title = "Loss against training wall-clock";
        if (drawn.Count > MaxCurves)
        {
            title += $": the {MaxCurves} best of {drawn.Count} trials";
            drawn = drawn.OrderBy(t => t.Perplexity
                ?? double.PositiveInfinity).ThenBy(t => t.Index).Take(MaxCurves).OrderBy(t => t.Index).ToList();
        }
        LossCurves(drawn.Select(t => (t.Index, Label(t),
            (IReadOnlyList<(double Seconds, double Train, double? Validation)>)t.LossCurve.Select(p => (p.TrainSeconds,
            p.TrainLoss, p.ValidationLoss)).ToList())).ToList(),
            title, path);
    }

    /// <summary>The same figure for models outside a sweep (QuickStart's Figure 2): each model's per-step
    /// history.</summary>
    public static void LossVsTime(IReadOnlyList<(string Name, IReadOnlyList<StepRecord> History)> models,
        string path) =>
        LossCurves(models.Select((m, i) => (i, m.Name,
        (IReadOnlyList<(double Seconds, double Train, double? Validation)>)m.History.Select(h => (h.TrainSeconds,
        h.TrainLoss, h.ValidationLoss)).ToList())).ToList(),
            "Loss against training wall-clock", path);

    static void LossCurves(IReadOnlyList<(int Colour, string Name, IReadOnlyList<(double Seconds, double Train, double? Validation)> Points)> curves, string title, string path)
    {
        var plot = new Plot();
        foreach (var (colour, name, all) in curves)
        {
            var points = all.Where(p => p.Seconds > 0 && double.IsFinite(p.Train)).ToList();
            if (points.Count < 2) continue;
            var color = ColorOf(colour);
            double[] xs = points.Select(p => Math.Log10(p.Seconds)).ToArray();
            var raw = plot.Add.ScatterLine(xs, points.Select(p => p.Train).ToArray());
            raw.Color = color.WithOpacity(0.2);
            raw.LineWidth = 1;
            var smooth = plot.Add.ScatterLine(xs, Smoothed(points.Select(p => p.Train).ToList()));
            smooth.Color = color;
            smooth.LineWidth = 2;
            smooth.LegendText = name;
            var validation = points.Where(p => p.Validation is double v && double.IsFinite(v)).ToList();
            if (validation.Count > 0)
            {
                var dots = plot.Add.ScatterPoints(validation.Select(p => Math.Log10(p.Seconds)).ToArray(),
                    validation.Select(p => p.Validation!.Value).ToArray());
                dots.Color = color;
                dots.MarkerSize = 7;
                dots.MarkerShape = MarkerShape.FilledDiamond;
            }
        }
        LogAxis(plot.Axes.Bottom);
        Finish(plot,
            title, "training seconds (log scale); lines: training loss, smoothed (raw faint); diamonds: validation " +
            "loss", "loss (nats/token)", path);
    }

    /// <summary>An exponential moving average with a window of about a twentieth of the curve, debiased at the
    /// start.</summary>
    static double[] Smoothed(IReadOnlyList<double> values)
    {
        double alpha = 2.0 / (Math.Max(2, values.Count / 20) + 1), average = 0, weight = 0;
        var result = new double[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            average = (1 - alpha) * average + alpha * values[i];
            weight = (1 - alpha) * weight + alpha;
            result[i] = average / weight;
        }
        return result;
    }

    /// <summary>Stacked bars: embedding, attention, MLP, head parameters per trial.</summary>
    public static void ParameterCounts(IReadOnlyList<TrialResult> trials, string path) =>
        ParameterBars(trials.Select(t => ($"#{t.Index}", t.EmbeddingParameters, t.AttentionParameters, t.MlpParameters,
        t.HeadParameters)).ToList(), "Parameters by group (millions)", path);

    /// <summary>The same bars for models outside a sweep (QuickStart's Figure 1).</summary>
    public static void ParameterCounts(IReadOnlyList<(string Name, ModelSummary Summary)> models, string path) =>
        ParameterBars(models.Select(m => (m.Name, m.Summary.EmbeddingParameters, m.Summary.AttentionParameters,
        m.Summary.MlpParameters, m.Summary.HeadParameters)).ToList(),
            "Parameters by part (millions)", path);

    static void ParameterBars(IReadOnlyList<(string Name, long Embedding, long Attention, long Mlp, long Head)> rows,
        string title, string path)
    {
        var plot = new Plot();
        var groups = new (string Name, Func<(string, long, long, long, long), long> Count)[]
        {
            ("embedding", r => r.Item2), ("attention", r => r.Item3), ("MLP", r => r.Item4), ("head", r => r.Item5),
        };
        var palette = new ScottPlot.Palettes.Category10();
        for (int g = 0; g < groups.Length; g++)
        {
            var bars = rows.Select((r, i) => new Bar
            {
                Position = i,
                ValueBase = groups.Take(g).Sum(x => x.Count(r)) / 1e6,
                Value = groups.Take(g + 1).Sum(x => x.Count(r)) / 1e6,
                FillColor = palette.GetColor(g),
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.LegendText = groups[g].Name;
        }
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => (double)i).ToArray(), rows.Select(r => r.Name).ToArray());
        Finish(plot, title, "", "parameters (M)", path);
    }

    /// <summary>Perplexity against non-embedding parameters: every trial a point in its own colour, the frontier a
    /// line, and only the frontier's points labelled (many trials share a parameter count, and their labels would pile
    /// up).</summary>
    public static void ParetoFrontier(IReadOnlyList<TrialResult> trials, string path)
    {
        var done = trials.Where(t => t.Perplexity is not null).ToList();
        var plot = new Plot();
        if (done.Count > 0)
        {
            foreach (var t in done)
            {
                var point = plot.Add.ScatterPoints(new[] { t.NonEmbeddingParameters / 1e6 },
                    new[] { t.Perplexity!.Value });
                point.Color = ColorOf(t.Index);
                point.MarkerSize = 8;
            }
            var frontier = Pareto.Frontier(done, t => t.NonEmbeddingParameters, t => t.Perplexity!.Value);
            var line = plot.Add.ScatterLine(frontier.Select(t => t.NonEmbeddingParameters / 1e6).ToArray(),
                frontier.Select(t => t.Perplexity!.Value).ToArray());
            line.Color = Colors.Black.WithOpacity(0.6);
            line.LegendText = "Pareto frontier (labelled)";
            line.LineWidth = 2;
            for (int i = 0; i < frontier.Count; i++)
            {
                var t = frontier[i];
                var label = plot.Add.Text($"#{t.Index}", t.NonEmbeddingParameters / 1e6, t.Perplexity!.Value);
                label.LabelFontSize = 13;
                label.LabelOffsetX = 6;
                label.LabelOffsetY = i % 2 == 0 ? -18 : 4; // alternate above and below, so neighbours do not collide
            }
        }
        Finish(plot, "Pareto frontier: parameters against perplexity", "non-embedding parameters (M)", "validation " +
            "perplexity", path);
    }

    /// <summary>Perplexity against the value of <paramref name="parameter"/> (a rank, or any numeric option such as a
    /// learning rate or the depth; log2 x axis): one line per setting of the other parameters, so a one-at-a-time scan
    /// shows its scan line and the other scans' trials as separate points.</summary>
    public static void PerplexityVs(IReadOnlyList<TrialResult> trials, string parameter, string path)
    {
        var plot = new Plot();
        var groups = trials.Where(t => t.Perplexity is not null && t.Parameters.ContainsKey(parameter))
            .GroupBy(t => TrialKey.Of(t.Parameters.Where(p => p.Key != parameter).ToDictionary(p => p.Key,
            p => p.Value)));
        foreach (var group in groups)
        {
            var points = group.Select(t => (X: ValueOf(t, parameter), Y: t.Perplexity!.Value))
                .Where(p => p.X > 0).OrderBy(p => p.X).ToList();
            if (points.Count == 0) continue;
            var s = plot.Add.Scatter(points.Select(p => Math.Log2(p.X)).ToArray(), points.Select(p => p.Y).ToArray());
            s.LegendText = group.Key.Length == 0 ? parameter : group.Key.Replace(';', ' ');
            s.Color = ColorOf(group.Min(t => t.Index));
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(2, v).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        };
        bool isRank = parameter is "AttentionRank" or "MlpRank";
        Finish(plot, $"Perplexity against {parameter}", $"{parameter} (log2 scale{(isRank ? "; dense = model " +
            "width" : "")})", "validation perplexity", path);
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
            mlp.Color = ColorOf(t.Index);
            var attention = plot.Add.Scatter(xs, t.AttentionRanks.Select(r => (double)r).ToArray());
            attention.LegendText = $"{Label(t)} attention";
            attention.LinePattern = LinePattern.Dashed;
            attention.Color = ColorOf(t.Index);
        }
        Finish(plot, "Rank per block", "block", "rank", path);
    }

    static double ValueOf(TrialResult t, string parameter) => parameter switch
    {
        "AttentionRank" => RankValue(t.Parameters[parameter], t.AttentionRanks),
        "MlpRank" => RankValue(t.Parameters[parameter], t.MlpRanks),
        _ => double.TryParse(t.Parameters[parameter], System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : 0,
    };

    /// <summary>The rank a value stands for: an integer as is; a fraction, "dense" or a schedule as the mean rank the
    /// blocks resolved to (dense blocks report the model width).</summary>
    static double RankValue(string value, int[] resolved)
    {
        if (double.TryParse(value, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double v) && v >= 1)
            return v;
        return resolved.Length == 0 ? 0 : resolved.Average();
    }

    static readonly ScottPlot.Palettes.Category10 Palette = new();

    /// <summary>The colour of trial (or model) <paramref name="index"/>: the same in every figure.</summary>
    static Color ColorOf(int index) => Palette.GetColor(index % Palette.Colors.Length);

    static string Label(TrialResult t) => $"#{t.Index} " + string.Join(" ",
        t.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

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
        plot.ShowLegend(Edge.Right); // beside the data, never over it
        plot.SavePng(path, Width + 300, Height);
    }
}
