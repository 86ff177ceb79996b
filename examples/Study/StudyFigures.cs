// The results page's figures (ScottPlot PNGs next to the run directories): the ladder with the fitted plateau curves,
// loss against training FLOPs, and the middle-budget validation curves against training tokens.
using MLNet.LowRank.Examples.Study.Statistics;
using ScottPlot;

namespace MLNet.LowRank.Examples.Study;

public static class StudyFigures
{
    const int Width = 900, Height = 560;

    /// <summary>Final validation loss of every reported run against training tokens (log axis), per-budget means, and
    /// each arm's fitted L(D) = E + B·D^(−β) when there is a fit.</summary>
    public static void Ladder(string path, StudyDesign d, StudyRecords r, PowerLawFit? fit,
        Func<string, double> flopsPerToken, bool againstFlops)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var arm in d.LadderArms)
        {
            var color = palette.GetColor(colour++);
            double X(double tokens) => Math.Log10(againstFlops ? tokens * flopsPerToken(arm.Name) : tokens);
            var xs = new List<double>();
            var ys = new List<double>();
            var meanX = new List<double>();
            var meanY = new List<double>();
            for (int b = 0; b < d.BudgetSteps.Count; b++)
            {
                var losses = r.Losses(arm.Name, b).Values.ToList();
                if (losses.Count == 0) continue;
                xs.AddRange(losses.Select(_ => X(d.BudgetTokens(b))));
                ys.AddRange(losses);
                meanX.Add(X(d.BudgetTokens(b)));
                meanY.Add(losses.Average());
            }
            if (xs.Count == 0) continue;
            var seeds = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            seeds.Color = color.WithAlpha(0.45);
            var means = plot.Add.Scatter(meanX.ToArray(), meanY.ToArray());
            means.Color = color;
            means.LegendText = arm.Name;
            if (fit is not null && fit.Arms.ContainsKey(arm.Name))
            {
                var grid = Enumerable.Range(0,
                    60).Select(i =>
                    d.BudgetTokens(0) / 2.0 * Math.Pow(d.BudgetTokens(StudyDesign.Largest) * 4.0 / d.BudgetTokens(0),
                    i / 59.0)).ToArray();
                var curve = plot.Add.ScatterLine(grid.Select(X).ToArray(),
                    grid.Select(t => fit.Predict(arm.Name, t)).ToArray());
                curve.Color = color;
                curve.LinePattern = LinePattern.Dashed;
                var plateau = plot.Add.HorizontalLine(fit.Arms[arm.Name].E);
                plateau.Color = color.WithAlpha(0.5);
                plateau.LinePattern = LinePattern.Dotted;
            }
        }
        // The y range of the data (and of any plateau near it), so that a far extrapolated E does not flatten the
        // points.
        var all = d.LadderArms.SelectMany(a => Enumerable.Range(0,
            d.BudgetSteps.Count).SelectMany(b => r.Losses(a.Name, b).Values)).ToList();
        if (all.Count > 0)
        {
            double lo = all.Min(), hi = all.Max(), span = Math.Max(hi - lo, 0.05);
            if (fit is not null)
                lo = Math.Min(lo, fit.Arms.Values.Select(x => x.E).Where(e => e > lo - span).DefaultIfEmpty(lo).Min());
            plot.Axes.SetLimitsY(lo - 0.1 * span, hi + 0.1 * span);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => $"1e{v:0.#}",
        };
        Finish(plot,
            againstFlops
            ? "Final validation loss against training FLOPs (model-spec §3)" : "Final validation loss against " +
            "training tokens; dashed: fitted L(D), dotted: its plateau E",
            againstFlops ? "training FLOPs (log scale)" : "training tokens (log scale)", "validation loss (nats/byte)",
            path);
    }

    /// <summary>Each seed-paired gap (arm − dense) against log₂(training tokens), with each primary trend
    /// line.</summary>
    public static void Gaps(string path, StudyDesign d, RobustnessResult? robust)
    {
        if (robust is null) return;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 1;
        foreach (var t in robust.AllBudgets)
        {
            var color = palette.GetColor(colour++);
            var seeds = plot.Add.ScatterPoints(t.Points.Select(p => p.Log2Tokens).ToArray(),
                t.Points.Select(p => p.Gap).ToArray());
            seeds.Color = color.WithAlpha(0.6);
            seeds.LegendText = $"{t.A} − {t.B}";
            var primary = robust.Primary.FirstOrDefault(x => x.A == t.A);
            if (primary is null) continue;
            double x0 = primary.Points.Min(p => p.Log2Tokens),
                x1 = primary.Points.Max(p => p.Log2Tokens) + GapTrend.ClosingDoublings;
            var line = plot.Add.ScatterLine(new[] { x0, x1 },
                new[] { primary.Trend.Predict(x0), primary.Trend.Predict(x1) });
            line.Color = color;
            line.LinePattern = LinePattern.Dashed;
        }
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        Finish(plot, "Seed-paired gap to dense; dashed: line fitted from 1/4 × on, to 16 × further",
            "log₂(training tokens)", "validation loss gap (nats/byte)", path);
    }

    /// <summary>The periodic validation loss of seed 1 of every arm at the middle budget against training
    /// tokens.</summary>
    public static void MiddleCurves(string path, StudyDesign d, StudyRecords r)
    {
        var plot = new Plot();
        foreach (var arm in d.LadderArms.Concat(d.Controls).Concat(d.RankScan.Where(a => a != d.LowRank)))
        {
            var run = r.ReportedRuns(arm.Name,
                StudyDesign.Middle).FirstOrDefault(t => t.Parameters[OptionNames.Seed] == "1");
            var points = run?.LossCurve.Where(p => p.ValidationLoss is not null).ToList();
            if (points is null || points.Count < 2) continue;
            var line = plot.Add.ScatterLine(points.Select(p => (double)p.Tokens).ToArray(),
                points.Select(p => p.ValidationLoss!.Value).ToArray());
            line.LegendText = arm.Name;
        }
        Finish(plot, "Periodic validation loss at the middle budget (seed 1)", "training tokens", "validation loss " +
            "on the periodic subset (nats/byte)", path);
    }

    static void Finish(Plot plot, string title, string x, string y, string path)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, Width, Height);
    }
}
