// The plateau question as a fit: validation loss against training tokens, L(D) = E + B·D^(−β), one (E, B) per arm and
// one β shared by the arms (three budgets per arm cannot pin three free parameters each). E is the loss the arm tends
// to with unlimited data at this size — "plateaus higher" is E(low-rank) > E(dense). A bootstrap over seeds, paired
// across arms by seed (the arms share data orders), gives intervals for each E and for their differences.
namespace MLNet.LowRank.Experiments.Statistics;

/// <summary>L(D) = E_arm + B_arm·D^(−β) fitted by least squares, with E ≥ 0.</summary>
public sealed record PowerLawFit(IReadOnlyDictionary<string, (double E, double B)> Arms, double Beta, double ResidualSumOfSquares)
{
    /// <summary>The fitted loss of <paramref name="arm"/> at <paramref name="tokens"/>.</summary>
    public double Predict(string arm, double tokens) => Arms[arm].E + Arms[arm].B * Math.Pow(tokens, -Beta);

    /// <summary>The token count where the two arms' fitted curves cross, or null when they do not (for D &gt; 0).</summary>
    public double? Crossing(string a, string b)
    {
        var (ea, ba) = Arms[a];
        var (eb, bb) = Arms[b];
        // ea + ba·x = eb + bb·x with x = D^(−β) > 0.
        if (ba == bb) return null;
        double x = (eb - ea) / (ba - bb);
        return x > 0 ? Math.Pow(x, -1 / Beta) : null;
    }

    /// <summary>Fits every arm's points (tokens, loss) with one shared β in [<paramref name="betaMin"/>, <paramref name="betaMax"/>].</summary>
    public static PowerLawFit Fit(IReadOnlyDictionary<string, IReadOnlyList<(double Tokens, double Loss)>> points, double betaMin = 0.02, double betaMax = 2.0)
    {
        foreach (var (arm, p) in points)
            if (p.Select(x => x.Tokens).Distinct().Count() < 2)
                throw new ArgumentException($"Arm '{arm}' has fewer than two distinct budgets; a power law needs at least two (three to say anything about E).");
        double Rss(double beta) => points.Values.Sum(p => LinearFit(p, beta).Rss);
        // A log-spaced scan, then golden-section refinement around the best point.
        int n = 240;
        double best = betaMin, bestRss = double.PositiveInfinity;
        for (int i = 0; i <= n; i++)
        {
            double beta = betaMin * Math.Pow(betaMax / betaMin, (double)i / n);
            double r = Rss(beta);
            if (r < bestRss) (best, bestRss) = (beta, r);
        }
        double step = Math.Pow(betaMax / betaMin, 1.0 / n);
        double lo = Math.Max(betaMin, best / step), hi = Math.Min(betaMax, best * step);
        const double phi = 0.6180339887498949;
        for (int i = 0; i < 80; i++)
        {
            double m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
            if (Rss(m1) < Rss(m2)) hi = m2; else lo = m1;
        }
        double beta0 = (lo + hi) / 2;
        if (Rss(beta0) > bestRss) beta0 = best;
        var arms = points.ToDictionary(kv => kv.Key, kv => { var f = LinearFit(kv.Value, beta0); return (f.E, f.B); });
        return new PowerLawFit(arms, beta0, Rss(beta0));
    }

    /// <summary>For a fixed β, least squares of loss = E + B·x with x = tokens^(−β).</summary>
    static (double E, double B, double Rss) LinearFit(IReadOnlyList<(double Tokens, double Loss)> p, double beta)
    {
        double n = p.Count, sx = 0, sy = 0, sxx = 0, sxy = 0;
        foreach (var (d, l) in p)
        {
            double x = Math.Pow(d, -beta);
            sx += x; sy += l; sxx += x * x; sxy += x * l;
        }
        double den = n * sxx - sx * sx;
        double b = den == 0 ? 0 : (n * sxy - sx * sy) / den;
        double e = (sy - b * sx) / n;
        // A loss cannot plateau below zero: where the unconstrained fit says so, E = 0 and B is refitted alone.
        if (e < 0) (e, b) = (0, sxx == 0 ? 0 : sxy / sxx);
        double rss = p.Sum(q => { double r = q.Loss - (e + b * Math.Pow(q.Tokens, -beta)); return r * r; });
        return (e, b, rss);
    }
}

/// <summary>Bootstrap intervals for a <see cref="PowerLawFit"/> over seeds.</summary>
public static class PowerLawBootstrap
{
    /// <summary>The fit to per-budget mean losses, and percentile intervals from <paramref name="replicates"/> resamples:
    /// at each budget the seeds are drawn with replacement once and used for every arm (so arm differences stay paired).</summary>
    /// <param name="losses">arm → training tokens → seed → final validation loss.</param>
    /// <param name="differences">Pairs (a, b) whose E(a) − E(b) gets an interval.</param>
    public static (PowerLawFit Fit, IReadOnlyDictionary<string, Estimate> E, IReadOnlyDictionary<(string A, string B), Estimate> Differences) Run(
        IReadOnlyDictionary<string, IReadOnlyDictionary<double, IReadOnlyDictionary<int, double>>> losses,
        IReadOnlyList<(string A, string B)> differences, int replicates = 2000, int seed = 1, double level = 0.95)
    {
        var budgets = losses.Values.SelectMany(a => a.Keys).Distinct().Order().ToArray();
        var seedsAt = budgets.ToDictionary(d => d, d => losses.Values.Where(a => a.ContainsKey(d)).SelectMany(a => a[d].Keys).Distinct().Order().ToArray());
        PowerLawFit FitWith(Func<double, int[]> seedsFor) => PowerLawFit.Fit(losses.ToDictionary(arm => arm.Key, arm =>
            (IReadOnlyList<(double, double)>)arm.Value.Select(cell =>
            {
                var chosen = seedsFor(cell.Key).Where(cell.Value.ContainsKey).ToArray();
                return (cell.Key, chosen.Length == 0 ? cell.Value.Values.Average() : chosen.Average(s => cell.Value[s]));
            }).ToList()));

        var fit = FitWith(d => seedsAt[d]);
        var random = new Random(seed);
        var eSamples = losses.Keys.ToDictionary(a => a, _ => new List<double>());
        var dSamples = differences.ToDictionary(p => p, _ => new List<double>());
        for (int r = 0; r < replicates; r++)
        {
            var draw = budgets.ToDictionary(d => d, d => Enumerable.Range(0, seedsAt[d].Length).Select(_ => seedsAt[d][random.Next(seedsAt[d].Length)]).ToArray());
            var f = FitWith(d => draw[d]);
            foreach (var a in losses.Keys) eSamples[a].Add(f.Arms[a].E);
            foreach (var p in differences) dSamples[p].Add(f.Arms[p.A].E - f.Arms[p.B].E);
        }
        int n = seedsAt.Values.Min(s => s.Length);
        Estimate Interval(double value, List<double> samples)
        {
            samples.Sort();
            double lo = samples[(int)Math.Floor((1 - level) / 2 * (samples.Count - 1))];
            double hi = samples[(int)Math.Ceiling((1 + level) / 2 * (samples.Count - 1))];
            return new Estimate(value, lo, hi, n, level);
        }
        return (fit,
            losses.Keys.ToDictionary(a => a, a => Interval(fit.Arms[a].E, eSamples[a])),
            differences.ToDictionary(p => p, p => Interval(fit.Arms[p.A].E - fit.Arms[p.B].E, dSamples[p])));
    }
}
