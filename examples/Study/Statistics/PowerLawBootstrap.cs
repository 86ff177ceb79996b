// Intervals for a power-law fit's plateaus, two ways. The seed bootstrap redraws the seeds at each budget (the same
// draw for every arm, since arms share data orders by seed) and answers "how much do E's move with seed noise?". The
// residual bootstrap adds the fit's own residuals back to its curve in random order and answers "how much do they
// move given how badly the law fits?" — when χ² is far above its degrees of freedom, only the second is honest.
namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>A fit with percentile intervals on every arm's E and on the chosen differences E(a) − E(b).</summary>
public sealed record PowerLawIntervals(PowerLawFit Fit, IReadOnlyDictionary<string, Estimate> E,
    IReadOnlyDictionary<(string A, string B), Estimate> Differences);

/// <summary>Bootstrap intervals for a <see cref="PowerLawFit"/>.</summary>
public static class PowerLawBootstrap
{
    /// <summary>Per-budget means with their standard errors over seeds (NaN with one seed).</summary>
    /// <param name="losses">arm → training tokens → seed → final validation loss.</param>
    public static Dictionary<string, IReadOnlyList<PowerLawPoint>> Points(IReadOnlyDictionary<string, IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>> losses) =>
        losses.ToDictionary(arm => arm.Key,
        arm => (IReadOnlyList<PowerLawPoint>)arm.Value.OrderBy(c => c.Key).Select(cell =>
        {
            var v = cell.Value.Values.ToArray();
            double mean = v.Average();
            double se = v.Length < 2 ? double.NaN
                : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1) / v.Length);
            return new PowerLawPoint(cell.Key, mean, se);
        }).ToList());

    /// <summary>The fit to per-budget mean losses, and percentile intervals from <paramref name="replicates"/>
    /// resamples: at each budget the seeds are drawn with replacement once and used for every arm (so arm differences
    /// stay paired). Inverse-variance weights, where the specification asks for them, stay those of the full
    /// sample.</summary>
    /// <param name="losses">arm → training tokens → seed → final validation loss.</param>
    /// <param name="differences">Pairs (a, b) whose E(a) − E(b) gets an interval.</param>
    public static PowerLawIntervals Run(
        IReadOnlyDictionary<string, IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>> losses,
        IReadOnlyList<(string A, string B)> differences, int replicates = 2000, int seed = 1, double level = 0.95,
        PowerLawSpecification? specification = null)
    {
        var spec = specification ?? PowerLawSpecification.Planned;
        var full = Points(losses);
        var budgets = losses.Values.SelectMany(a => a.Keys).Distinct().Order().ToArray();
        var seedsAt = budgets.ToDictionary(d => d,
            d => losses.Values.Where(a => a.ContainsKey(d)).SelectMany(a => a[d].Keys).Distinct().Order().ToArray());
        PowerLawFit FitWith(Func<double, int[]> seedsFor) => PowerLawFit.Fit(full.ToDictionary(arm => arm.Key, arm =>
            (IReadOnlyList<PowerLawPoint>)arm.Value.Select(point =>
            {
                var cell = losses[arm.Key][point.Tokens];
                var chosen = seedsFor(point.Tokens).Where(cell.ContainsKey).ToArray();
                return point with { Loss = chosen.Length == 0 ? cell.Values.Average() : chosen.Average(s => cell[s]) };
            }).ToList()), spec);

        var fit = PowerLawFit.Fit(full, spec);
        var random = new Random(seed);
        var replicas = new List<PowerLawFit>(replicates);
        for (int r = 0; r < replicates; r++)
        {
            var draw = budgets.ToDictionary(d => d,
                d => Enumerable.Range(0,
                seedsAt[d].Length).Select(_ => seedsAt[d][random.Next(seedsAt[d].Length)]).ToArray());
            replicas.Add(FitWith(d => draw[d]));
        }
        return Intervals(fit, replicas, differences, seedsAt.Values.Min(s => s.Length), level);
    }

    /// <summary>Percentile intervals from <paramref name="replicates"/> refits of <paramref name="fit"/>'s curves plus
    /// its residuals (in the fit's space, weighted as it weighted them, scaled by √(n / (n − parameters))) drawn with
    /// replacement over every point of every arm.</summary>
    public static PowerLawIntervals Residual(PowerLawFit fit,
        IReadOnlyDictionary<string, IReadOnlyList<PowerLawPoint>> points,
        IReadOnlyList<(string A, string B)> differences, int replicates = 2000, int seed = 1, double level = 0.95)
    {
        var spec = fit.Specification;
        int n = points.Values.Sum(p => p.Count), parameters = spec.Parameters(points.Count);
        if (n <= parameters)
            throw new ArgumentException($"A residual bootstrap needs more points ({n}) than fitted parameters " +
                $"({parameters}).");
        double inflate = Math.Sqrt((double)n / (n - parameters));
        double Space(double loss) => spec.LogSpace ? Math.Log(loss) : loss;
        double Back(double value) => spec.LogSpace ? Math.Exp(value) : value;
        // Residuals standardised by each point's weight, so a draw lands on another point at that point's scale.
        var pool = points.SelectMany(kv => kv.Value.Select(p =>
            (Space(p.Loss) - Space(fit.Predict(kv.Key, p.Tokens))) * Math.Sqrt(PowerLawFit.Weight(p,
            spec)) * inflate)).ToArray();
        var random = new Random(seed);
        var replicas = new List<PowerLawFit>(replicates);
        for (int r = 0; r < replicates; r++)
        {
            var drawn = points.ToDictionary(kv => kv.Key,
                kv => (IReadOnlyList<PowerLawPoint>)kv.Value.Select(p => p with
            {
                Loss = Back(Space(fit.Predict(kv.Key,
                    p.Tokens)) + pool[random.Next(pool.Length)] / Math.Sqrt(PowerLawFit.Weight(p, spec))),
            }).ToList());
            try { replicas.Add(PowerLawFit.Fit(drawn, spec)); }
            catch (ArgumentException) { }   // a draw that makes a loss non-positive in log space: left out, counted by N
        }
        return Intervals(fit, replicas, differences, n, level);
    }

    static PowerLawIntervals Intervals(PowerLawFit fit, IReadOnlyList<PowerLawFit> replicas,
        IReadOnlyList<(string A, string B)> differences, int n, double level)
    {
        Estimate Interval(double value, IEnumerable<double> draws)
        {
            var samples = draws.Order().ToList();
            double lo = samples[(int)Math.Floor((1 - level) / 2 * (samples.Count - 1))];
            double hi = samples[(int)Math.Ceiling((1 + level) / 2 * (samples.Count - 1))];
            return new Estimate(value, lo, hi, n, level);
        }
        return new PowerLawIntervals(fit,
            fit.Arms.Keys.ToDictionary(a => a, a => Interval(fit.Arms[a].E, replicas.Select(f => f.Arms[a].E))),
            differences.ToDictionary(p => p,
            p => Interval(fit.Arms[p.A].E - fit.Arms[p.B].E, replicas.Select(f => f.Arms[p.A].E - f.Arms[p.B].E))));
    }
}
