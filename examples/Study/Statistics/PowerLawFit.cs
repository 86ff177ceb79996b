// The plateau question as a fit: validation loss against training tokens, L(D) = E + B·(D + D₀)^(−β), one (E, B) per
// arm. E is the loss the arm tends to with unlimited data at this size — "plateaus higher" is E(low-rank) > E(dense).
// One functional form can be wrong, so the specification is a choice the caller states (β shared or per arm, linear or
// log space, equal or inverse-variance weights, an offset D₀), and every fit reports its goodness of fit: residuals in
// the seeds' standard errors and χ² on its degrees of freedom. A verdict on E is only as good as that χ².
namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>How a power law L(D) = E + B·(D + D₀)^(−β) is fitted to per-budget mean losses.</summary>
public sealed record PowerLawSpecification
{
    /// <summary>A short label for tables, e.g. "β shared".</summary>
    public string Name { get; init; } = "β shared";

    /// <summary>One β for every arm (default, true) or one per arm (each arm then needs three budgets).</summary>
    public bool SharedExponent { get; init; } = true;

    /// <summary>Least squares on ln L rather than L (relative rather than absolute misfit). Default false.</summary>
    public bool LogSpace { get; init; }

    /// <summary>Weight each mean by 1 / SE² (its standard error over seeds), so precise points count more. Default
    /// false.</summary>
    public bool InverseVarianceWeights { get; init; }

    /// <summary>Fit a data offset D₀ ≥ 0 shared by the arms (tokens the run "starts with"). Default false: D₀ =
    /// 0.</summary>
    public bool Offset { get; init; }

    /// <summary>β shared, linear space, equal weights, no offset: the fit version 2 of the study planned.</summary>
    public static PowerLawSpecification Planned { get; } = new();

    /// <summary>Free parameters of the fit for <paramref name="arms"/> arms.</summary>
    public int Parameters(int arms) => 2 * arms + (SharedExponent ? 1 : arms) + (Offset ? 1 : 0);
}

/// <summary>One budget of one arm: training tokens, the mean loss over seeds and its standard error (NaN when
/// unknown).</summary>
public readonly record struct PowerLawPoint(double Tokens, double Loss, double StandardError = double.NaN);

/// <summary>An arm's fitted plateau E, scale B and exponent β.</summary>
public readonly record struct PowerLawArm(double E, double B, double Beta);

/// <summary>A fit's residual at one point: in loss units and in standard errors of the point's mean.</summary>
public readonly record struct PowerLawResidual(double Tokens, double Residual, double Standardized);

/// <summary>χ² of a fit with residuals in standard errors, its degrees of freedom and upper-tail p-value (NaN when
/// the fit leaves no degrees of freedom).</summary>
public sealed record GoodnessOfFit(double ChiSquared, int DegreesOfFreedom, double PValue,
    IReadOnlyDictionary<string, IReadOnlyList<PowerLawResidual>> Residuals);

/// <summary>L(D) = E_arm + B_arm·(D + D₀)^(−β_arm) fitted by least squares, with E ≥ 0.</summary>
/// <param name="ResidualSumOfSquares">The minimised (weighted) sum of squares, in the specification's space.</param>
/// <param name="Goodness">Residuals in standard errors and χ², when every point has a standard error.</param>
public sealed record PowerLawFit(IReadOnlyDictionary<string, PowerLawArm> Arms, double Offset,
    PowerLawSpecification Specification,
    double ResidualSumOfSquares, GoodnessOfFit? Goodness)
{
    /// <summary>The shared β (NaN when β is fitted per arm).</summary>
    public double Beta => Specification.SharedExponent ? Arms.Values.First().Beta : double.NaN;

    /// <summary>The fitted loss of <paramref name="arm"/> at <paramref name="tokens"/>.</summary>
    public double Predict(string arm, double tokens) => Arms[arm].E + Arms[arm].B * Math.Pow(tokens + Offset,
        -Arms[arm].Beta);

    /// <summary>The token count where the two arms' fitted curves cross, or null when they do not (for D &gt;
    /// 0).</summary>
    public double? Crossing(string a, string b)
    {
        var (ea, ba, beta) = Arms[a];
        var (eb, bb, betaB) = Arms[b];
        if (beta == betaB)
        {
            // ea + ba·x = eb + bb·x with x = (D + D₀)^(−β) > 0.
            if (ba == bb) return null;
            double x = (eb - ea) / (ba - bb);
            double d = x > 0 ? Math.Pow(x, -1 / beta) - Offset : -1;
            return d > 0 ? d : null;
        }
        // Exponents differ: the first sign change on a log grid, then bisection.
        double Gap(double logD) => Predict(a, Math.Exp(logD)) - Predict(b, Math.Exp(logD));
        double lo = 0, step = Math.Log(1e15) / 300;
        for (int i = 0; i < 300; i++)
        {
            double hi = lo + step;
            if (Math.Sign(Gap(lo)) != Math.Sign(Gap(hi)))
            {
                for (int k = 0; k < 100; k++) { double mid =
                    (lo + hi) / 2; if (Math.Sign(Gap(mid)) == Math.Sign(Gap(lo))) lo = mid; else hi = mid; }
                return Math.Exp((lo + hi) / 2);
            }
            lo = hi;
        }
        return null;
    }

    /// <summary>Fits every arm's points (tokens, loss) with one shared β in [<paramref name="betaMin"/>,
    /// <paramref name="betaMax"/>].</summary>
    public static PowerLawFit Fit(IReadOnlyDictionary<string, IReadOnlyList<(double Tokens, double Loss)>> points,
        double betaMin = 0.02, double betaMax = 2.0) =>
        Fit(points.ToDictionary(kv => kv.Key,
        kv => (IReadOnlyList<PowerLawPoint>)kv.Value.Select(p => new PowerLawPoint(p.Tokens, p.Loss)).ToList()),
            PowerLawSpecification.Planned, betaMin, betaMax);

    /// <summary>Fits every arm's points as <paramref name="specification"/> says, β in [<paramref name="betaMin"/>,
    /// <paramref name="betaMax"/>].</summary>
    public static PowerLawFit Fit(IReadOnlyDictionary<string, IReadOnlyList<PowerLawPoint>> points,
        PowerLawSpecification specification,
        double betaMin = 0.02, double betaMax = 2.0)
    {
        int minimum = specification.SharedExponent ? 2 : 3;
        foreach (var (arm, p) in points)
        {
            if (p.Select(x => x.Tokens).Distinct().Count() < minimum)
                throw new ArgumentException($"Arm '{arm}' has fewer than {minimum} distinct budgets; a power " +
                    $"law {(specification.SharedExponent ? "with a shared β" : "with β per arm")} needs at " +
                    $"least {minimum}.");
            if (p.Any(x => !(x.Tokens > 0) || !double.IsFinite(x.Loss) || (specification.LogSpace && !(x.Loss > 0))))
                throw new ArgumentException($"Arm '{arm}' has a point with non-positive tokens or a " +
                    $"non-finite{(specification.LogSpace ? " or non-positive" : "")} loss.");
            if (specification.InverseVarianceWeights
                && p.Any(x => !(x.StandardError > 0) || !double.IsFinite(x.StandardError)))
                throw new ArgumentException($"Arm '{arm}' has a point without a positive standard error; " +
                    $"inverse-variance weights need one at every point (two or more seeds).");
        }
        double lb = Math.Log(betaMin), ub = Math.Log(betaMax);

        (double Objective, Dictionary<string, (double E, double B, double Beta, double Objective)> Arms) AtOffset(double d0)
        {
            if (specification.SharedExponent)
            {
                double logBeta = Minimize(lb => points.Values.Sum(p => ArmFit(p, Math.Exp(lb), d0,
                    specification).Objective), lb, ub);
                var arms = points.ToDictionary(kv => kv.Key, kv => { var f = ArmFit(kv.Value, Math.Exp(logBeta), d0,
                    specification); return (f.E, f.B, Math.Exp(logBeta), f.Objective); });
                return (arms.Values.Sum(a => a.Objective), arms);
            }
            var each = points.ToDictionary(kv => kv.Key, kv =>
            {
                double beta = Math.Exp(Minimize(lb => ArmFit(kv.Value, Math.Exp(lb), d0, specification).Objective, lb,
                    ub));
                var f = ArmFit(kv.Value, beta, d0, specification);
                return (f.E, f.B, beta, f.Objective);
            });
            return (each.Values.Sum(a => a.Objective), each);
        }

        double offset = 0;
        var best = AtOffset(0);
        if (specification.Offset)
        {
            // D₀ from 0 or a log-spaced scan over 10⁻³…10 × the smallest budget, refined by golden section.
            double dMin = points.Values.SelectMany(p => p).Min(p => p.Tokens);
            double lo = Math.Log(dMin * 1e-3), hi = Math.Log(dMin * 10);
            double logD0 = Minimize(l => AtOffset(Math.Exp(l)).Objective, lo, hi, scan: 16, refine: 30);
            var withOffset = AtOffset(Math.Exp(logD0));
            if (withOffset.Objective < best.Objective) (best, offset) = (withOffset, Math.Exp(logD0));
        }
        var fitted = best.Arms.ToDictionary(kv => kv.Key, kv => new PowerLawArm(kv.Value.E, kv.Value.B, kv.Value.Beta));
        var fit = new PowerLawFit(fitted, offset, specification, best.Objective, null);
        return fit with { Goodness = GoodnessOf(fit, points) };
    }

    /// <summary>χ² of <paramref name="fit"/> against <paramref name="points"/> with residuals in standard errors
    /// (linear space, whatever the fit's space), or null when a point has no standard error.</summary>
    public static GoodnessOfFit? GoodnessOf(PowerLawFit fit,
        IReadOnlyDictionary<string, IReadOnlyList<PowerLawPoint>> points)
    {
        if (points.Values.SelectMany(p => p).Any(p => !(p.StandardError > 0) || !double.IsFinite(p.StandardError)))
            return null;
        var residuals = points.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<PowerLawResidual>)kv.Value
            .Select(p => { double r = p.Loss - fit.Predict(kv.Key, p.Tokens); return new PowerLawResidual(p.Tokens, r,
            r / p.StandardError); }).ToList());
        double chi2 = residuals.Values.SelectMany(r => r).Sum(r => r.Standardized * r.Standardized);
        int dof = points.Values.Sum(p => p.Count) - fit.Specification.Parameters(points.Count);
        return new GoodnessOfFit(chi2, dof, dof > 0 ? ChiSquared.UpperTail(chi2, dof) : double.NaN, residuals);
    }

    /// <summary>The weight of a point in the specification's least squares.</summary>
    internal static double Weight(PowerLawPoint p, PowerLawSpecification s) =>
        !s.InverseVarianceWeights ? 1 : s.LogSpace ? p.Loss * p.Loss / (p.StandardError * p.StandardError)
        : 1 / (p.StandardError * p.StandardError);

    /// <summary>For fixed β and D₀, weighted least squares of loss = E + B·x with x = (D + D₀)^(−β) and E ≥ 0; in log
    /// space, Gauss–Newton on ln loss = ln(E + B·x) from the linear solution.</summary>
    static (double E, double B, double Objective) ArmFit(IReadOnlyList<PowerLawPoint> p, double beta, double d0,
        PowerLawSpecification s)
    {
        int n = p.Count;
        Span<double> x = stackalloc double[n], w = stackalloc double[n];
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = Math.Pow(p[i].Tokens + d0, -beta);
            w[i] = Weight(p[i], s);
            sw += w[i]; sx += w[i] * x[i]; sy += w[i] * p[i].Loss; sxx += w[i] * x[i] * x[i]; sxy += w[i] * x[i] * p[i].Loss;
        }
        double den = sw * sxx - sx * sx;
        double b = den == 0 ? 0 : (sw * sxy - sx * sy) / den;
        double e = (sy - b * sx) / sw;
        // A loss cannot plateau below zero: where the unconstrained fit says so, E = 0 and B is refitted alone.
        if (e < 0) (e, b) = (0, sxx == 0 ? 0 : sxy / sxx);
        if (!s.LogSpace)
        {
            double rss = 0;
            for (int i = 0; i < n; i++) { double r = p[i].Loss - (e + b * x[i]); rss += w[i] * r * r; }
            return (e, b, rss);
        }
        double Objective(double ee, double bb, ReadOnlySpan<double> xs, ReadOnlySpan<double> ws)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double f = ee + bb * xs[i];
                if (!(f > 0)) return double.PositiveInfinity;
                double r = Math.Log(p[i].Loss) - Math.Log(f);
                sum += ws[i] * r * r;
            }
            return sum;
        }
        double current = Objective(e, b, x, w);
        if (double.IsPositiveInfinity(current)) { e = p.Min(q => q.Loss) / 2; b = 0; current = Objective(e, b, x, w); }
        for (int iteration = 0; iteration < 50; iteration++)
        {
            // Normal equations of the linearised problem in (E, B); E held at 0 when it would go negative.
            double a11 = 0, a12 = 0, a22 = 0, g1 = 0, g2 = 0;
            for (int i = 0; i < n; i++)
            {
                double f = e + b * x[i], r = Math.Log(p[i].Loss) - Math.Log(f), j1 = 1 / f, j2 = x[i] / f;
                a11 += w[i] * j1 * j1; a12 += w[i] * j1 * j2; a22 += w[i] * j2 * j2; g1 += w[i] * j1 * r; g2 += w[i] * j2 * r;
            }
            double det = a11 * a22 - a12 * a12;
            double de = det == 0 ? 0 : (a22 * g1 - a12 * g2) / det,
                db = det == 0 ? (a22 == 0 ? 0 : g2 / a22) : (a11 * g2 - a12 * g1) / det;
            if (e + de < 0) { de = -e; db = a22 == 0 ? 0 : (g2 - a12 * de) / a22; }
            double t = 1, next = double.PositiveInfinity;
            for (int k = 0; k < 30; k++, t /= 2)
            {
                next = Objective(e + t * de, b + t * db, x, w);
                if (next <= current) break;
            }
            if (!(next <= current)) break;
            e += t * de; b += t * db;
            bool converged = current - next <= 1e-15 * Math.Max(1, current);
            current = next;
            if (converged) break;
        }
        return (Math.Max(0, e), b, current);
    }

    /// <summary>The minimiser of <paramref name="f"/> on [lo, hi]: a scan, then golden-section refinement between the
    /// best point's neighbours.</summary>
    static double Minimize(Func<double, double> f, double lo, double hi, int scan = 64, int refine = 50)
    {
        double step = (hi - lo) / scan, best = lo, bestValue = double.PositiveInfinity;
        for (int i = 0; i <= scan; i++)
        {
            double v = f(lo + i * step);
            if (v < bestValue) (best, bestValue) = (lo + i * step, v);
        }
        double a = Math.Max(lo, best - step), c = Math.Min(hi, best + step);
        const double phi = 0.6180339887498949;
        double m1 = c - phi * (c - a), m2 = a + phi * (c - a), f1 = f(m1), f2 = f(m2);
        for (int i = 0; i < refine; i++)
        {
            if (f1 < f2) { c = m2; m2 = m1; f2 = f1; m1 = c - phi * (c - a); f1 = f(m1); }
            else { a = m1; m1 = m2; f1 = f2; m2 = a + phi * (c - a); f2 = f(m2); }
        }
        double refined = (a + c) / 2;
        return f(refined) <= bestValue ? refined : best;
    }
}
