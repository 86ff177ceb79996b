// The plan's secondary analysis: L(D) = E + B·D^(−β) fitted to the core ladder (1/4–4 ×) three ways — β shared, β per
// arm, least squares on ln L — each with its goodness of fit and two bootstrap intervals on each E difference (seeds;
// residuals). A statement about fitted E is made only where the three agree in sign and all six intervals exclude 0.
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Examples.Study;

public static class V3SecondaryFits
{
    public static void Write(Action<string> Line, V3Design d, V3Records r)
    {
        Line("## Secondary: fitted plateaus (never the basis of a primary verdict)");
        Line("");
        var arms = new[] { d.Dense, d.LowRank, d.Deep };
        var pairs = new[] { (d.LowRank.Name, d.Dense.Name), (d.Deep.Name, d.Dense.Name) };
        var losses = arms.ToDictionary(a => a.Name,
            a => (IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>)d.CoreBudgets
            .ToDictionary(b => (double)b.Steps * d.V2.BatchSize * d.V2.SequenceLength, b => r.Losses(a.Name, b.Name)));
        var thin = losses.SelectMany(a => a.Value.Where(b => b.Value.Count < 2).Select(b => a.Key)).Distinct().ToList();
        if (thin.Count > 0)
        {
            Line($"Not written yet: the fits need at least two seeds of `dense`, `lowrank` and `deep` at each of " +
                $"1/4, 1, 2 and 4 × ({string.Join(", ", thin.Select(a => $"`{a}`"))} not yet).");
            Line("");
            return;
        }
        int replicates = d.V2.BootstrapReplicates;
        var points = PowerLawBootstrap.Points(losses);
        var specs = new[]
        {
            ("β shared, least squares on L", PowerLawSpecification.Planned),
            ("β per arm", new PowerLawSpecification { Name = "per-arm", SharedExponent = false }),
            ("β shared, least squares on ln L", new PowerLawSpecification { Name = "log", LogSpace = true }),
        }.Select(s =>
        {
            var seeds = PowerLawBootstrap.Run(losses, pairs, replicates, specification: s.Item2);
            return new SpecificationResult(s.Item1, string.Join(", ", d.CoreBudgets.Select(b => b.Name + " ×")), seeds,
                PowerLawBootstrap.Residual(seeds.Fit, points, pairs, replicates));
        }).ToList();

        Line($"Fitted to the means of {points.Values.Sum(p => p.Count)} (arm, budget) cells over 1/4, 1, 2 and 4 × " +
            $"(training tokens as D). χ² = Σ (residual ÷ SE)², SE = seed standard deviation ÷ √seeds; a law that " +
            $"fitted to within the seeds' noise gives χ² near its degrees of freedom. Two 95 % percentile intervals " +
            $"per difference, {replicates:N0} replicates each: *seeds* redraws the seeds at each budget; *residuals* " +
            $"adds the fit's own residuals back to its curve in random order (the lack of fit).");
        Line("");
        Line("| specification | β | χ² (dof), p | E(`lowrank`) − E(`dense`) [seeds] [residuals] | E(`deep`) − " +
            "E(`dense`) [seeds] [residuals] |");
        Line("|---|---|---|---|---|");
        foreach (var s in specs)
        {
            var f = s.Seeds.Fit;
            string chi = f.Goodness is { } g
                ? $"{g.ChiSquared:N0} ({g.DegreesOfFreedom}), p {Robustness.PEquals(g.PValue)}" : "—";
            string Diff((string, string) p) => $"{S(s.Seeds.Differences[p].Value)} [{S(s.Seeds.Differences[p].Low)}, {S(s.Seeds.Differences[p].High)}] [{S(s.Residuals.Differences[p].Low)}, {S(s.Residuals.Differences[p].High)}]";
            Line($"| {s.Name} | {Robustness.Beta(f)} | {chi} | {Diff(pairs[0])} | {Diff(pairs[1])} |");
        }
        Line("");
        Line("Residuals of each cell's mean from each fit, in standard errors:");
        Line("");
        Line("| specification | arm | " + string.Join(" | ", d.CoreBudgets.Select(b => $"{b.Name} ×")) + " |");
        Line("|---|---|" + string.Concat(d.CoreBudgets.Select(_ => "---:|")));
        foreach (var s in specs)
            if (s.Seeds.Fit.Goodness is { } g)
                foreach (var (arm, res) in g.Residuals)
                    Line($"| {s.Name} | `{arm}` | {string.Join(" | ", res.Select(x => Robustness.Signed(x.Standardized, 1)))} |");
        Line("");
        foreach (var p in pairs)
        {
            var signs = specs.Select(s => Math.Sign(s.Seeds.Differences[p].Value)).Distinct().ToList();
            bool above = Robustness.FitsAgree(specs, p, out var outcome) && outcome == Outcome.Higher;
            string statement = signs.Count == 1 && outcome != Outcome.Unresolved
                ? $"the three fits agree and all six intervals lie {(above ? "above" : "below")} 0: fitted " +
                $"E(`{p.Item1}`) is {(above ? "higher" : "lower")} than E(`{p.Item2}`)"
                : signs.Count > 1 ? "the fits disagree in sign: no statement about fitted E"
                : "the fits agree in sign but not every interval excludes 0: no statement about fitted E";
            Line($"- E(`{p.Item1}`) − E(`{p.Item2}`): {statement} (the plan's rule).");
        }
        Line("");
    }

    static string S(double v) => Robustness.Signed(v, 4);
}
