// The χ² distribution's upper tail, for a fit's goodness of fit: with residuals in standard errors, χ² = Σ z² on
// (points − fitted parameters) degrees of freedom; a tiny tail probability says the functional form, not the seeds,
// explains the misfit.
namespace MLNet.LowRank.Examples.Study.Statistics;

/// <summary>The χ² distribution with <c>dof</c> degrees of freedom.</summary>
public static class ChiSquared
{
    /// <summary>P(X ≥ <paramref name="x"/>): the regularised upper incomplete gamma Q(dof/2, x/2).</summary>
    public static double UpperTail(double x, double dof)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dof);
        if (double.IsNaN(x)) return double.NaN;
        if (x <= 0) return 1;
        if (double.IsPositiveInfinity(x)) return 0;
        return UpperRegularizedGamma(dof / 2, x / 2);
    }

    /// <summary>Q(a, x) = Γ(a, x)/Γ(a): the series for P below a + 1, the continued fraction (Lentz) above.</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0) return 1;
        double logFront = a * Math.Log(x) - x - StudentT.LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 1000 && Math.Abs(term) > 1e-16 * Math.Abs(sum); n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Max(0, 1 - sum * Math.Exp(logFront));
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
        for (int i = 1; i < 1000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b; if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(logFront) * f;
    }
}
