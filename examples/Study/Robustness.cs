// The checks version 2's plan did not make, run on its own records: how well the plateau law fits (residuals in the
// seeds' standard errors, χ²), what E's differences become under other reasonable specifications (with seed and
// residual bootstrap intervals), and the model-free view — the slope of each seed-paired gap against log₂(tokens) —
// which needs no functional form. The corrected plateau verdict is judged from these by a rule stated on the page.
using System.Globalization;
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Examples.Study;

/// <summary>One alternative fit: its specification, the budgets it used, and both kinds of interval.</summary>
public sealed record SpecificationResult(string Name, string Budgets, PowerLawIntervals Seeds,
    PowerLawIntervals Residuals);

/// <summary>The slope of a seed-paired gap a − b against log₂(training tokens), and the gap at the largest
/// budget.</summary>
public sealed record GapTrend(string A, string B, string Budgets, LinearTrend Trend,
    IReadOnlyList<(double Log2Tokens, double Gap)> Points, Estimate LargestGap)
{
    /// <summary>Doublings of the largest budget within which the rule asks that closing be excluded (16 × =
    /// 4).</summary>
    public const int ClosingDoublings = 4;

    /// <summary>The gap extrapolated along the line to 16 × the largest budget, at the slope's lower interval
    /// end.</summary>
    public double GapAt16xAtSteepestSlope => LargestGap.Value + ClosingDoublings * Trend.Slope.Low;

    /// <summary>True when the slope's interval excludes the gap closing within 16 × the largest budget.</summary>
    public bool ClosingExcluded => VerdictRules.ClosingExcluded(LargestGap, Trend.Slope, ClosingDoublings);
}

public sealed record RobustnessResult(IReadOnlyList<SpecificationResult> Specifications,
    IReadOnlyList<GapTrend> Primary, IReadOnlyList<GapTrend> AllBudgets);

public static class Robustness
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    static readonly (string A, string B)[] Pairs = [("lowrank", "dense"), ("deep", "dense")];

    /// <summary>Writes the goodness-of-fit, alternative-specification and gap-slope sections; null while the ladder is
    /// incomplete.</summary>
    public static RobustnessResult? Write(Action<string> Line, StudyDesign d, StudyRecords r, PowerLawIntervals planned)
    {
        var losses = LadderLosses(d, r, firstBudget: 0);
        var points = PowerLawBootstrap.Points(losses);
        var goodness = planned.Fit.Goodness;
        Line("### How well the law fits its own data");
        Line("");
        if (goodness is null) { Line("Not judged: a budget has a single seed, so its mean has no standard " +
            "error."); Line(""); return null; }
        Line($"Residual of each budget's mean from the fitted curve, in nats/byte and in standard errors of that " +
            $"mean (seed standard deviation ÷ √seeds). χ² = Σ (residual ÷ SE)² " +
            $"= {goodness.ChiSquared:N0} on {goodness.DegreesOfFreedom} degrees of freedom " +
            $"({points.Values.Sum(p => p.Count)} means " +
            $"− {PowerLawSpecification.Planned.Parameters(points.Count)} parameters); p {PEquals(goodness.PValue)}. " +
            $"A law that fitted to within the seeds' noise would give χ² near {goodness.DegreesOfFreedom}.");
        Line("");
        Line("| arm | " + string.Join(" | ", StudyDesign.BudgetNames.Select(b => $"{b} ×")) + " |");
        Line("|---|" + string.Concat(StudyDesign.BudgetNames.Select(_ => "---:|")));
        foreach (var (arm, res) in goodness.Residuals)
            Line($"| `{arm}` | {string.Join(" | ", res.Select(x => $"{Signed(x.Residual, 4)} ({Signed(x.Standardized, 1)} SE)"))} |");
        Line("");

        int replicates = d.BootstrapReplicates;
        var specs = new List<SpecificationResult>();
        void Add(string name, string budgets, PowerLawSpecification spec, int firstBudget)
        {
            var l = LadderLosses(d, r, firstBudget);
            var seeds = PowerLawBootstrap.Run(l, Pairs, replicates, specification: spec);
            var residual = PowerLawBootstrap.Residual(seeds.Fit, PowerLawBootstrap.Points(l), Pairs, replicates);
            specs.Add(new SpecificationResult(name, budgets, seeds, residual));
        }
        string all = string.Join(", ", StudyDesign.BudgetNames.Select(b => b + " ×"));
        Add("as planned: β shared, least squares on L", all, PowerLawSpecification.Planned, 0);
        Add("without the 1/16 × point (70 steps)",
            string.Join(", ", StudyDesign.BudgetNames.Skip(1).Select(b => b + " ×")), PowerLawSpecification.Planned, 1);
        Add("least squares on ln L", all, new PowerLawSpecification { Name = "log", LogSpace = true }, 0);
        Add("inverse-variance weights (1/SE²)", all,
            new PowerLawSpecification { Name = "ivw", InverseVarianceWeights = true }, 0);
        Add("offset: L = E + B·(D + D₀)^(−β)", all, new PowerLawSpecification { Name = "offset", Offset = true }, 0);
        Add("β per arm", all, new PowerLawSpecification { Name = "per-arm", SharedExponent = false }, 0);

        Line("### The plateau difference under other reasonable specifications");
        Line("");
        Line($"Each row refits the law to the same means. Two 95 % percentile intervals per " +
            $"difference, {replicates:N0} replicates each: *seeds* redraws the seeds at each budget (as above: seed " +
            $"noise only); *residuals* adds the fit's own residuals (scaled by √(n ÷ (n − parameters)), weighted as " +
            $"the fit weights them) back to its curve in random order (the lack of fit). The first row is the plan's " +
            $"fit.");
        Line("");
        Line("| specification | budgets | β | χ² (dof) | E(`lowrank`) − E(`dense`) [seeds] [residuals] | E(`deep`) − " +
            "E(`dense`) [seeds] [residuals] |");
        Line("|---|---|---|---:|---|---|");
        foreach (var s in specs)
        {
            var f = s.Seeds.Fit;
            string beta = Beta(f);
            if (f.Specification.Offset) beta += $"; D₀ = {f.Offset:N0}";
            string chi = f.Goodness is { } g ? $"{g.ChiSquared:N0} ({g.DegreesOfFreedom})" : "—";
            string Diff((string, string) p) => $"{s.Seeds.Differences[p].Value:+0.0000;−0.0000} [{s.Seeds.Differences[p].Low:+0.0000;−0.0000}, {s.Seeds.Differences[p].High:+0.0000;−0.0000}] [{s.Residuals.Differences[p].Low:+0.0000;−0.0000}, {s.Residuals.Differences[p].High:+0.0000;−0.0000}]";
            Line($"| {s.Name} | {s.Budgets} | {beta} | {chi} | {Diff(Pairs[0])} | {Diff(Pairs[1])} |");
        }
        Line("");
        foreach (var p in Pairs)
        {
            var values = specs.Select(s => s.Seeds.Differences[p].Value).ToList();
            Line($"- E(`{p.A}`) − E(`{p.B}`) ranges " +
                $"from {values.Min():+0.0000;−0.0000} to {values.Max():+0.0000;−0.0000} across " +
                $"the {specs.Count} specifications; {Agreement(specs, p)}.");
        }
        Line("");

        var primary = Pairs.Select(p => Trend(d, r, p, StudyDesign.Middle)).OfType<GapTrend>().ToList();
        var allBudgets = Pairs.Select(p => Trend(d, r, p, 0)).OfType<GapTrend>().ToList();
        Line("### Without a fitted law: does the paired gap shrink as tokens double?");
        Line("");
        Line($"Each seed's gap (arm − `dense`, same seed) at each budget, against log₂(training tokens), fitted by " +
            $"ordinary least squares; slope per doubling of tokens with its 95 % t-interval and two-sided p. " +
            $"Primary: the budgets from the tuning budget up " +
            $"({string.Join(", ", StudyDesign.BudgetNames.Skip(StudyDesign.Middle).Select(b => b + " ×"))}; below " +
            $"it, the 70-step 1/16 × runs are the only budget where `lowrank` leads); beside it, all four. *Closing " +
            $"within 16 ×* extrapolates the line from the largest budget's mean gap four doublings further at the " +
            $"slope's steeper interval end.");
        Line("");
        string largest = StudyDesign.BudgetNames[StudyDesign.Largest],
            far = (16 * StudyDesign.BudgetFractions[StudyDesign.Largest]).ToString("0.##", Ci);
        Line($"| gap | budgets | seed-paired gaps | slope per doubling [95 %] | p | gap at {largest} × | gap " +
            $"at {far} ×, steepest slope | closing within 16 × |");
        Line("|---|---|---:|---|---:|---|---:|---|");
        foreach (var t in primary.Concat(allBudgets))
            Line($"| `{t.A}` − `{t.B}` | {t.Budgets} | {t.Points.Count} | {t.Trend.Slope.Value:+0.0000;−0.0000} [{t.Trend.Slope.Low:+0.0000;−0.0000}, {t.Trend.Slope.High:+0.0000;−0.0000}] | {P(t.Trend.Slope.PValue ?? double.NaN)} | {t.LargestGap.ToString("+0.0000;−0.0000")} | {t.GapAt16xAtSteepestSlope:+0.0000;−0.0000} | {(t.ClosingExcluded ? "excluded" : "not excluded")} |");
        Line("");
        Line("Seeds are treated as independent points; the same seed's runs at different budgets share their " +
            "initialisation and data order, so the intervals may be somewhat narrow or wide depending on how that " +
            "shared start carries across budgets.");
        Line("");
        return new RobustnessResult(specs, primary, allBudgets);
    }

    /// <summary>Whether every specification's seed and residual intervals exclude 0 on the same side.</summary>
    public static string Agreement(IReadOnlyList<SpecificationResult> specs, (string A, string B) p) =>
        FitsAgree(specs, p, out var outcome)
            ? $"every interval of every specification lies {(outcome == Outcome.Higher ? "above" : "below")} 0"
            : $"the specifications do not agree — intervals not above " +
        $"0: {string.Join("; ", specs.Where(s => VerdictRules.Plateau(s.Residuals.Differences[p]) != Outcome.Higher || VerdictRules.Plateau(s.Seeds.Differences[p]) != Outcome.Higher).Select(s => $"{s.Name} (seeds {Side(s.Seeds.Differences[p])}, residuals {Side(s.Residuals.Differences[p])})"))}";

    /// <summary>The fitted exponent: one number when shared, "arm β, …" when fitted per arm.</summary>
    public static string Beta(PowerLawFit f) =>
        f.Specification.SharedExponent ? f.Beta.ToString("F3", Ci) : string.Join(", ",
        f.Arms.Select(kv => $"{kv.Key} {kv.Value.Beta:F3}"));

    /// <summary>"−0.062 to +0.144": the E difference of <paramref name="p"/> across the specifications.</summary>
    public static string Range(IReadOnlyList<SpecificationResult> specs, (string A, string B) p)
    {
        var values = specs.Select(s => s.Seeds.Differences[p].Value).ToList();
        return $"{values.Min():+0.000;−0.000} to {values.Max():+0.000;−0.000}";
    }

    public static bool FitsAgree(IReadOnlyList<SpecificationResult> specs, (string A, string B) p, out Outcome outcome)
    {
        var outcomes = specs.SelectMany(s => new[] { VerdictRules.Plateau(s.Seeds.Differences[p]),
            VerdictRules.Plateau(s.Residuals.Differences[p]) }).Distinct().ToList();
        outcome = outcomes.Count == 1 ? outcomes[0] : Outcome.Unresolved;
        return outcome != Outcome.Unresolved;
    }

    static GapTrend? Trend(StudyDesign d, StudyRecords r, (string A, string B) p, int firstBudget)
    {
        var points = new List<(double, double)>();
        for (int b = firstBudget; b < d.BudgetSteps.Count; b++)
        {
            var la = r.Losses(p.A, b);
            var lb = r.Losses(p.B, b);
            foreach (var s in la.Keys.Intersect(lb.Keys).Order()) points.Add((Math.Log2(d.BudgetTokens(b)),
                la[s] - lb[s]));
        }
        var la3 = r.Losses(p.A, StudyDesign.Largest);
        var lb3 = r.Losses(p.B, StudyDesign.Largest);
        var seeds = la3.Keys.Intersect(lb3.Keys).Order().ToArray();
        if (points.Select(x => x.Item1).Distinct().Count() < 2 || points.Count < 3 || seeds.Length < 2) return null;
        var largest = Intervals.PairedDifference(seeds.Select(s => la3[s]).ToArray(),
            seeds.Select(s => lb3[s]).ToArray());
        return new GapTrend(p.A, p.B,
            string.Join(", ", StudyDesign.BudgetNames.Skip(firstBudget).Select(n => n + " ×")),
            LinearTrend.Fit(points), points, largest);
    }

    /// <summary>arm → training tokens → seed → final loss for the ladder arms, budgets from
    /// <paramref name="firstBudget"/>.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>> LadderLosses(StudyDesign d, StudyRecords r, int firstBudget) =>
        d.LadderArms.ToDictionary(a => a.Name,
        a => (IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>)Enumerable.Range(firstBudget,
        d.BudgetSteps.Count - firstBudget)
            .Where(b => r.Losses(a.Name, b).Count >= 2)
            .ToDictionary(b => (double)d.BudgetTokens(b), b => r.Losses(a.Name, b)));

    static string Side(Estimate e) => e.Low > 0 ? "above 0" : e.High < 0 ? "below 0" : "contains 0";

    /// <summary>A signed number rounded first, so a value that rounds to zero prints as "0.0", not "−0.0".</summary>
    public static string Signed(double v, int decimals)
    {
        string digits = "0." + new string('0', decimals);
        return (Math.Round(v, decimals) + 0.0).ToString($"+{digits};−{digits};{digits}", Ci);
    }

    /// <summary>A p-value: four decimals, scientific below 10⁻⁴, and "&lt; 10⁻³⁰⁰" where it underflows.</summary>
    public static string P(double p) => double.IsNaN(p) ? "—" : p == 0 ? "< 10⁻³⁰⁰" : p < 1e-4 ? p.ToString("0.0E+0",
        Ci) : p.ToString("0.####", Ci);

    /// <summary>"= 0.134", or "&lt; 10⁻³⁰⁰" where the p-value underflows.</summary>
    public static string PEquals(double p) => p == 0 ? P(p) : "= " + P(p);
}
