// Loss against model size and data together, L(N, D) = E + A·N^(−α) + B·D^(−β), fitted to one arm's (N, D) cells by
// least squares weighted with each cell's standard error, so the minimised sum is the fit's χ². A width ladder asks it
// whether an arm's loss keeps falling with size; it answers only as well as its χ² says, and with five parameters it
// needs more cells than parameters before its χ² means anything.
namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>One cell of one arm: its parameter count, training tokens, mean loss over seeds and the mean's standard
/// error.</summary>
public readonly record struct ScalingPoint(double Parameters, double Tokens, double Loss, double StandardError);

/// <summary>L(N, D) = E + A·N^(−α) + B·D^(−β) with E ≥ 0, exponents in a stated range, and its goodness of
/// fit.</summary>
/// <param name="ChiSquared">Σ ((loss − fit) ÷ SE)² at the optimum.</param>
/// <param name="DegreesOfFreedom">Cells − 5.</param>
/// <param name="PValue">χ²'s upper-tail p-value on those degrees of freedom.</param>
public sealed record JointScalingFit(double E, double A, double Alpha, double B, double Beta, double ChiSquared,
    int DegreesOfFreedom, double PValue)
{
    const int FreeParameters = 5;

    /// <summary>The fitted loss at <paramref name="parameters"/> and <paramref name="tokens"/>.</summary>
    public double Predict(double parameters, double tokens) => E + A * Math.Pow(parameters,
        -Alpha) + B * Math.Pow(tokens, -Beta);

    /// <summary>Fits <paramref name="points"/> (more than five, with at least two sizes and two token counts, each with
    /// a positive standard error); α and β in [<paramref name="exponentMin"/>,
    /// <paramref name="exponentMax"/>].</summary>
    public static JointScalingFit Fit(IReadOnlyList<ScalingPoint> points, double exponentMin = 0.02,
        double exponentMax = 2.0)
    {
        if (points.Count <= FreeParameters)
            throw new ArgumentException($"A joint law has {FreeParameters} parameters; it needs more " +
                $"than {FreeParameters} cells to have a goodness of fit, got {points.Count}.", nameof(points));
        if (points.Select(p => p.Parameters).Distinct().Count() < 2
            || points.Select(p => p.Tokens).Distinct().Count() < 2)
            throw new ArgumentException("A joint law needs at least two model sizes and two token counts.",
                nameof(points));
        if (points.Any(p => !(p.Parameters > 0) || !(p.Tokens > 0) || !double.IsFinite(p.Loss)
            || !(p.StandardError > 0) || !double.IsFinite(p.StandardError)))
            throw new ArgumentException("Every cell needs positive parameters and tokens, a finite loss and a " +
                "positive standard error (two or more seeds).", nameof(points));

        // The linear parameters (E, A, B) have a closed form for fixed exponents: profile χ² over (ln α, ln β) on a
        // grid, then zoom in around the best cell of the grid.
        double lo = Math.Log(exponentMin), hi = Math.Log(exponentMax);
        (double La, double Lb, Linear Fit) best = (lo, lo, Solve(points, exponentMin, exponentMin));
        double step = (hi - lo) / 40;
        for (int round = 0; round < 8; round++)
        {
            double ca = best.La, cb = best.Lb;
            int half = round == 0 ? 20 : 4;
            double a0 = round == 0 ? (lo + hi) / 2 : ca, b0 = round == 0 ? (lo + hi) / 2 : cb;
            for (int i = -half; i <= half; i++)
                for (int j = -half; j <= half; j++)
                {
                    double la = Math.Clamp(a0 + i * step, lo, hi), lb = Math.Clamp(b0 + j * step, lo, hi);
                    var f = Solve(points, Math.Exp(la), Math.Exp(lb));
                    if (f.ChiSquared < best.Fit.ChiSquared) best = (la, lb, f);
                }
            step /= 4;
        }
        int dof = points.Count - FreeParameters;
        var (e, a, b, chi2) = best.Fit;
        return new JointScalingFit(e, a, Math.Exp(best.La), b, Math.Exp(best.Lb), chi2, dof,
            Statistics.ChiSquared.UpperTail(chi2, dof));
    }

    readonly record struct Linear(double E, double A, double B, double ChiSquared);

    /// <summary>Weighted least squares of loss = E + A·u + B·v (u = N^(−α), v = D^(−β), weights 1/SE²), E ≥
    /// 0.</summary>
    static Linear Solve(IReadOnlyList<ScalingPoint> points, double alpha, double beta)
    {
        int n = points.Count;
        Span<double> u = stackalloc double[n], v = stackalloc double[n], w = stackalloc double[n];
        // u and v are scaled to a largest value of 1 (N^(−α) can be 10⁻¹⁰), so the normal equations stay well
        // conditioned.
        double uMax = 0, vMax = 0;
        for (int i = 0; i < n; i++)
        {
            u[i] = Math.Pow(points[i].Parameters, -alpha);
            v[i] = Math.Pow(points[i].Tokens, -beta);
            w[i] = 1 / (points[i].StandardError * points[i].StandardError);
            uMax = Math.Max(uMax, u[i]);
            vMax = Math.Max(vMax, v[i]);
        }
        for (int i = 0; i < n; i++) { u[i] /= uMax; v[i] /= vMax; }
        // Normal equations in (E, A, B).
        double s1 = 0, su = 0, sv = 0, suu = 0, suv = 0, svv = 0, sy = 0, suy = 0, svy = 0;
        for (int i = 0; i < n; i++)
        {
            double y = points[i].Loss;
            s1 += w[i]; su += w[i] * u[i]; sv += w[i] * v[i]; suu += w[i] * u[i] * u[i]; suv += w[i] * u[i] * v[i]; svv += w[i] * v[i] * v[i];
            sy += w[i] * y; suy += w[i] * u[i] * y; svy += w[i] * v[i] * y;
        }
        double[,] m = { { s1, su, sv }, { su, suu, suv }, { sv, suv, svv } };
        double[] rhs = [sy, suy, svy];
        var x = Solve3(m, rhs);
        double e, a, b;
        if (x is { } full && full[0] >= 0) (e, a, b) = (full[0], full[1], full[2]);
        else
        {
            // A loss cannot plateau below zero: E = 0 and (A, B) refitted alone.
            double det = suu * svv - suv * suv;
            (e, a, b) = det == 0 ? (0, 0, 0) : (0, (suy * svv - svy * suv) / det, (svy * suu - suy * suv) / det);
        }
        double chi2 = 0;
        for (int i = 0; i < n; i++) { double r = points[i].Loss - (e + a * u[i] + b * v[i]); chi2 += w[i] * r * r; }
        return new Linear(e, a / uMax, b / vMax, chi2);
    }

    /// <summary>Solves a 3×3 system by Cramer's rule, or null when it is singular.</summary>
    static double[]? Solve3(double[,] m, double[] r)
    {
        static double Det(double[,] q) =>
            q[0, 0] * (q[1, 1] * q[2, 2] - q[1, 2] * q[2, 1]) - q[0,
            1] * (q[1, 0] * q[2, 2] - q[1, 2] * q[2, 0]) + q[0, 2] * (q[1, 0] * q[2, 1] - q[1, 1] * q[2, 0]);
        double d = Det(m);
        if (d == 0 || !double.IsFinite(d)) return null;
        var result = new double[3];
        for (int k = 0; k < 3; k++)
        {
            var c = (double[,])m.Clone();
            for (int i = 0; i < 3; i++) c[i, k] = r[i];
            result[k] = Det(c) / d;
        }
        return result;
    }
}
