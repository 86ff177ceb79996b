// The results page's width-ladder section (docs/study/v3/plan.md, "Width ladder"): does the gap between the
// iso-parameter low-rank arm and dense shrink as the model grows? The seed-paired gap at 1 and 2 × of each width's
// compute-optimal budget (Holm over the six), and the gap's trend against log₂(dense parameters) by least squares.
using MLNet.LowRank.Examples.Study.Statistics;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class V3Widths
{
    static string S(double v) => Robustness.Signed(v, 4);
    static readonly double[] Multiples = [1.0, 2.0];

    public static void Write(Action<string> Line, V3Design d, V3Records r, V3Choices c)
    {
        Line("## Width ladder: does the gap shrink as the model grows?");
        Line("");
        bool complete = c.HasFinished("widths-2x");
        if (!complete) V3ResultsPage.Interim(Line, c, "the width ladder's");
        foreach (var cut in c.WidthCuts)
            Line($"**Width {cut.Width} at {cut.Multiple:0} × was cut under the 12-hour limit** (the plan's second " +
                $"cut, whole: none of its {2 * d.Seeds(V3Design.FewSeeds).Count} runs trained). When it was due, the " +
                $"trials' clocks held {cut.Spent:F2} h; its estimate, {cut.Multiple:0} × its 1 × " +
                $"runs' {cut.OneTimes:F2} h, is {cut.Estimate:F2} h, " +
                $"and {cut.Spent:F2} + {cut.Estimate:F2} > {V3ComputeLimit.Hours:0}. Its cells are empty below; the " +
                $"tests and fits use what remains.");
        if (c.WidthCuts.Count > 0) Line("");
        Line($"`dense` and the iso-parameter low-rank arm (attention rank w/2, MLP rank round(0.8 w): the dense " +
            $"arm's block parameters) at depth 4, heads of {d.V2.HeadDim}; each width's budgets are 1 and 2 × 20 × " +
            $"its dense arm's total parameters. Width {d.V2.Width} is the core ladder's `dense` and `lowrank-iso`. " +
            $"Final validation loss, nats per byte, mean [95 %] (seeds):");
        Line("");
        Line("| width | dense total parameters | iso total parameters | Muon rate dense / iso | " + string.Join(" | ",
            Multiples.Select(m => $"tokens at {m:0} ×")) + " | " + string.Join(" | ",
            Multiples.Select(m => $"dense {m:0} ×")) + " | " + string.Join(" | ",
            Multiples.Select(m => $"iso {m:0} ×")) + " |");
        Line("|---:|---:|---:|---|" + string.Concat(Multiples.Select(_ => "---:|")) + string
            .Concat(Multiples.Select(_ => "---|")) + string.Concat(Multiples.Select(_ => "---|")));
        foreach (int w in d.Widths)
        {
            var (dense, iso) = d.WidthArms(w);
            long nd = ModelSummary.For(d.Config(dense)).TotalParameters,
                ni = ModelSummary.For(d.Config(iso)).TotalParameters;
            string rates = $"{Rate(c, dense)} / {Rate(c, iso)}";
            var tokens = Multiples.Select(m => ((long)d.WidthBudget(w,
                m).Steps * d.V2.BatchSize * d.V2.SequenceLength).ToString("N0"));
            Line($"| {w} | {nd:N0} | {ni:N0} | {rates} | {string.Join(" | ", tokens)} | {string.Join(" | ", Multiples.Select(m => Cell(r, dense.Name, d.WidthBudget(w, m).Name)))} | {string.Join(" | ", Multiples.Select(m => Cell(r, iso.Name, d.WidthBudget(w, m).Name)))} |");
        }
        Line("");

        var gaps = new List<(int Width, double Multiple, long Parameters, Estimate Gap, List<double> Pairs)>();
        foreach (int w in d.Widths)
            foreach (double m in Multiples)
            {
                var (dense, iso) = d.WidthArms(w);
                string b = d.WidthBudget(w, m).Name;
                if (r.PairedGap(iso.Name, dense.Name, b) is not Estimate g) continue;
                gaps.Add((w, m, ModelSummary.For(d.Config(dense)).TotalParameters, g,
                    [.. r.PairedDifferences(iso.Name, dense.Name, b)]));
            }
        if (gaps.Count == 0) { Line("No width has both arms' runs yet."); Line(""); return; }
        var adjusted = Intervals.Holm(gaps.Select(g => g.Gap.PValue ?? 1).ToArray());
        Line($"Seed-paired gap iso − `dense` with its 95 % t-interval and paired t-test; Holm over " +
            $"the {gaps.Count} gaps present (the plan's family is the six).");
        Line("");
        Line("| width | budget | seeds | gap [95 %] | p | Holm p | counts as |");
        Line("|---:|---|---:|---|---:|---:|---|");
        for (int i = 0; i < gaps.Count; i++)
        {
            var g = gaps[i];
            Line($"| {g.Width} | {g.Multiple:0} × | {g.Gap.N} | {S(g.Gap.Value)} [{S(g.Gap.Low)}, {S(g.Gap.High)}] " +
                $"| {Robustness.P(g.Gap.PValue ?? double.NaN)} | {Robustness.P(adjusted[i])} | {V3ResultsPage.Words(VerdictRules.Compare(g.Gap, adjusted[i]))} |");
        }
        Line("");

        Line("Trend of the seed-paired gap against log₂(dense total parameters), ordinary least squares over every " +
            "seed's gap at that budget multiple (seeds treated as independent points), one line per multiple — gaps " +
            "at equal multiples of each width's compute-optimal budget are the comparable ones, so the two multiples " +
            "are not pooled (a choice the plan left open). Rule: *shrinking with size* when the slope's interval " +
            "lies below 0, *growing* when above, otherwise *no trend shown*.");
        Line("");
        Line("| budget | widths | points | slope per doubling of parameters [95 %] | p | trend |");
        Line("|---|---|---:|---|---:|---|");
        var trends = new List<string>();
        foreach (double m in Multiples)
        {
            var mine = gaps.Where(g => g.Multiple == m).ToList();
            var points = mine.SelectMany(g => g.Pairs.Select(y => (Math.Log2(g.Parameters), y))).ToList();
            if (mine.Count < 2
                || points.Count < 3) { Line($"| {m:0} × " +
                $"| {string.Join(", ", mine.Select(g => g.Width))} | {points.Count} | waiting for two widths | | " +
                    $"|"); continue; }
            var t = LinearTrend.Fit(points);
            string trend = t.Slope.High < 0 ? "shrinking with size" : t.Slope.Low > 0
                ? "growing with size" : "no trend shown";
            trends.Add($"at {m:0} × {trend} ({mine.Count} widths)");
            Line($"| {m:0} × | {string.Join(", ", mine.Select(g => g.Width))} | {points.Count} | {S(t.Slope.Value)} [{S(t.Slope.Low)}, {S(t.Slope.High)}] | {Robustness.P(t.Slope.PValue ?? double.NaN)} | {trend} |");
        }
        Line("");
        if (complete && trends.Count > 0)
        {
            var sizes = d.Widths.Select(w => ModelSummary.For(d.Config(d.WidthArms(w).Dense)).TotalParameters).ToList();
            Line($"**The gap against model size: {string.Join("; ", trends)}.** {d.Widths.Count} widths " +
                $"spanning {(double)d.Widths.Max() / d.Widths.Min():0.#}× in width " +
                $"({(double)sizes.Max() / sizes.Min():0.#}× in parameters) are a short lever: a trend that is not " +
                $"shown here may still exist, and none of it says what happens at the research plan's depth 20 / " +
                $"width 1024.");
            Line("");
        }
        JointLaw(Line, d, r, c);
    }

    /// <summary>The plan's secondary fit: L(N, D) = E + A·N^(−α) + B·D^(−β) per arm over the ladder's (width, budget)
    /// cells, reported only where its χ² p-value is at least 0.01; the extrapolation to the research plan's depth 20 /
    /// width 1024 only when both arms' fits are, with the spread over seed-bootstrap replicates.</summary>
    static void JointLaw(Action<string> Line, V3Design d, V3Records r, V3Choices c)
    {
        const double Gate = 0.01;
        Line("### Secondary: the joint law L(N, D) = E + A·N^(−α) + B·D^(−β)");
        Line("");
        var ladders = new[] { ("dense", (Func<int, Arm>)(w => d.WidthArms(w).Dense)),
            ("iso", w => d.WidthArms(w).Iso) };
        var seedsByArm = ladders.ToDictionary(l => l.Item1, l => d.Widths.SelectMany(w => Multiples.Select(m =>
            (N: (double)ModelSummary.For(d.Config(l.Item2(w))).TotalParameters,
            D: (double)d.WidthBudget(w, m).Steps * d.V2.BatchSize * d.V2.SequenceLength,
             Losses: r.Losses(l.Item2(w).Name,
            d.WidthBudget(w, m).Name).Values.ToList()))).Where(c => c.Losses.Count >= 2).ToList());
        if (seedsByArm.Values.Any(c => c.Count <= 5))
        {
            Line($"Not fitted{(c.HasFinished("widths-2x") ? "" : " yet")}: the law has five parameters and needs " +
                $"more than five (width, budget) cells per arm with two or more seeds; the ladder " +
                $"has {string.Join(" and ", seedsByArm.Select(kv => $"{kv.Value.Count} for {kv.Key}"))}{(c.HasFinished("widths-2x") ? (c.WidthCuts.Count > 0 ? ", after the cut above: with no degrees of freedom left its goodness of fit cannot be judged, so the plan's rule reports no law and no extrapolation" : "") : " so far")}.");
            Line("");
            return;
        }
        static ScalingPoint Cell(double n, double tokens, IReadOnlyList<double> losses)
        {
            double mean = losses.Average(),
                sd = Math.Sqrt(losses.Sum(x => (x - mean) * (x - mean)) / (losses.Count - 1));
            return new ScalingPoint(n, tokens, mean, sd / Math.Sqrt(losses.Count));
        }
        var fits = seedsByArm.ToDictionary(kv => kv.Key,
            kv => JointScalingFit.Fit([.. kv.Value.Select(c => Cell(c.N, c.D, c.Losses))]));
        Line("Weighted least squares (weights 1/SE², SE over seeds), E ≥ 0, exponents in [0.02, 2]; N is total " +
            "parameters, D training tokens. The plan reports a fit only if its χ² p-value is at least 0.01.");
        Line("");
        Line("| arm | cells | E | A | α | B | β | χ² (dof), p | reported |");
        Line("|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var (arm, f) in fits)
            Line($"| {arm} | {seedsByArm[arm].Count} | {f.E:F4} | {f.A:G4} | {f.Alpha:F3} | {f.B:G4} | {f.Beta:F3} | {f.ChiSquared:F1} ({f.DegreesOfFreedom}), p {Robustness.PEquals(f.PValue)} | {(f.PValue >= Gate ? "yes" : "no: its data reject it")} |");
        Line("");
        if (fits.Values.Any(f => f.PValue < Gate))
        {
            Line("At least one arm's law is rejected by its own data (p < 0.01): no fitted E is compared and no " +
                "extrapolation is made (the plan's rule).");
            Line("");
            return;
        }
        // The research plan's model: depth 20, width 1024, at its compute-optimal 20 tokens per dense parameter.
        Arm Big(Arm a) => a with { Parameters = TrialBatch.With(a.Parameters, (OptionNames.Depth, "20")) };
        var (bigDense, bigIso) = (Big(d.WidthArms(1024).Dense), Big(d.WidthArms(1024).Iso));
        double nDense = ModelSummary.For(d.Config(bigDense)).TotalParameters,
            nIso = ModelSummary.For(d.Config(bigIso)).TotalParameters, tokens = 20 * nDense;
        double Gap(IReadOnlyDictionary<string, JointScalingFit> f) => f["iso"].Predict(nIso,
            tokens) - f["dense"].Predict(nDense, tokens);
        var random = new Random(11);
        var replicates = new List<double>();
        for (int i = 0; i < d.V2.BootstrapReplicates; i++)
        {
            // Seeds redrawn within each cell; a redraw of one seed repeated has no spread, so it keeps the cell's own
            // SE.
            var again = seedsByArm.ToDictionary(kv => kv.Key, kv => JointScalingFit.Fit([.. kv.Value.Select(c =>
            {
                var redrawn = Cell(c.N, c.D, [.. c.Losses.Select(_ => c.Losses[random.Next(c.Losses.Count)])]);
                return redrawn.StandardError > 0 ? redrawn : redrawn with { StandardError = Cell(c.N, c.D, c.Losses).StandardError };
            })]));
            replicates.Add(Gap(again));
        }
        replicates.Sort();
        double q(double p) => replicates[(int)Math.Clamp(Math.Round(p * (replicates.Count - 1)), 0, replicates.Count - 1)];
        Line($"E(iso) − E(dense) = {S(fits["iso"].E - fits["dense"].E)}. **Extrapolation, far outside the data**: at the research plan's depth 20 / width 1024 (byte-level vocabulary as here; {nDense:N0} dense and {nIso:N0} iso parameters, {tokens:N0} tokens), the fitted laws put the gap iso − dense at {S(Gap(fits))}, spread over {replicates.Count:N0} seed-bootstrap replicates [{S(q(0.025))}, {S(q(0.975))}] (2.5–97.5 %). The ladder's depth is 4; the law does not know depth from width, so this says where the fitted curves go, not what a depth-20 model would do.");
        Line("");
    }

    static string Rate(V3Choices c, Arm a) => c.Muon.TryGetValue(a.Name, out double m) ? StudyDesign.Rate(m) : "—";

    static string Cell(V3Records r, string arm, string budget) => V3ResultsPage.LossCell([.. r.Losses(arm, budget).Values]);
}
