// The plan's rules for version 4 (docs/study/v4/plan.md, "Verdict rules"), apart from the page that prints them so a
// test can hold them to the plan: each seed's loss read on a quadratic in log₂(tokens), the seed-paired gap with its 95
// % and 90 % intervals, the reading of a gap (trails / beats by Holm, matches by TOST within ±δ), and what that says of
// the research plan's hypothesis.
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Examples.Study;

/// <summary>A seed-paired gap at a budget, in one view (equal tokens or equal FLOPs), with its 95 % and 90 %
/// intervals.</summary>
public sealed record PairedGap(string View, Budget Budget, Estimate Ci95, Estimate Ci90);

public static class V4Rules
{
    /// <summary>Per seed, the value at <paramref name="x"/> of the quadratic through that seed's (log₂ tokens, loss) at
    /// the three budgets (Lagrange form); only seeds with all three.</summary>
    public static Dictionary<int, double> Quadratic(IReadOnlyList<(double X, Dictionary<int, double> Loss)> nodes,
        double x)
    {
        var seeds = nodes.Select(n => (IEnumerable<int>)n.Loss.Keys).Aggregate((a, b) => a.Intersect(b)).ToList();
        return seeds.ToDictionary(s => s, s =>
        {
            double y = 0;
            for (int i = 0; i < nodes.Count; i++)
            {
                double w = 1;
                for (int j = 0; j < nodes.Count; j++) if (j != i) w *= (x - nodes[j].X) / (nodes[i].X - nodes[j].X);
                y += w * nodes[i].Loss[s];
            }
            return y;
        });
    }

    public static PairedGap? Paired(string view, Budget b, Dictionary<int, double> a, Dictionary<int, double> d)
    {
        var seeds = a.Keys.Intersect(d.Keys).Order().ToList();
        if (seeds.Count < 2) return null;
        double[] x = [.. seeds.Select(s => a[s])], y = [.. seeds.Select(s => d[s])];
        return new PairedGap(view, b, Intervals.PairedDifference(x, y), Intervals.PairedDifference(x, y, level: 0.90));
    }

    /// <summary>The plan's reading of a gap: trails / beats (Holm) and matches (TOST: the 90 % interval inside
    /// ±δ).</summary>
    public static string Reading(PairedGap g, double holm)
    {
        bool equivalent = g.Ci90.Low > -V4Design.Margin && g.Ci90.High < V4Design.Margin;
        var outcome = VerdictRules.Compare(g.Ci95, holm);
        return (outcome, equivalent) switch
        {
            (Outcome.Higher, true) => "trails by less than the margin",
            (Outcome.Lower, true) => "beats by less than the margin",
            (Outcome.Higher, false) => "trails",
            (Outcome.Lower, false) => "beats",
            (_, true) => "matches",
            _ => "unresolved",
        };
    }

    /// <summary>Whether gap <paramref name="i"/> of a Holm family lies within <paramref name="error"/> of being read
    /// otherwise (the plan's "borderline" for equal-FLOP gaps, whose interpolation may be off by about that much):
    /// every seed's gap moved by −error and by +error, its test and the family's Holm adjustment done again, and the
    /// reading compared. <paramref name="pairs"/> holds each gap's two arms' losses by seed, in the family's
    /// order.</summary>
    public static bool Borderline(IReadOnlyList<(PairedGap Gap, Dictionary<int, double> A, Dictionary<int, double> B)>
        pairs, int i, double error)
    {
        var p = pairs.Select(x => x.Gap.Ci95.PValue ?? 1).ToArray();
        string reading = Reading(pairs[i].Gap, Intervals.Holm(p)[i]);
        foreach (double shift in new[] { -error, error })
        {
            var (gap, a, b) = pairs[i];
            var moved = Paired(gap.View, gap.Budget, a.ToDictionary(kv => kv.Key, kv => kv.Value + shift), b)!;
            var q = (double[])p.Clone();
            q[i] = moved.Ci95.PValue ?? 1;
            if (Reading(moved, Intervals.Holm(q)[i]) != reading) return true;
        }
        return false;
    }

    /// <summary>The plan's condition for "low rank plateaus higher than dense", from each core arm's flattening state
    /// ("flattened", "still falling", "unresolved", or null when not measured) and the 16 × equal-token gap's reading:
    /// said only when `deep` has flattened and trails `dense`; when `deep` has not flattened and `dense` is still
    /// falling, no plateau of either is shown.</summary>
    public static string PlateauClaim(string? dense, string? deep, string? reading16)
    {
        if (deep == "flattened" && reading16?.StartsWith("trails", StringComparison.Ordinal) == true)
            return "`deep` has flattened and trails `dense` at 16 × at equal tokens: by the plan's rule, low rank " +
                "plateaus higher than dense here.";
        if (deep != "flattened" && dense == "still falling")
            return "Neither arm has flattened (`dense` is still falling), so no plateau of either is shown.";
        return "By the plan's rule, \"low rank plateaus higher than dense\" is not shown.";
    }

    public static string Hypothesis(string reading) => reading switch
    {
        "beats" or "beats by less than the margin" => "supported",
        "matches" => "matched",
        "trails" => "not supported",
        "trails by less than the margin" => "trails within the margin (a case rule 4 does not name)",
        _ => "open",
    };

}
