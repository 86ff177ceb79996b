// The research plan's "deeper low-rank model at the same parameter count": given a baseline and a low-rank setting,
// find the depth (and optionally the rank) whose non-embedding parameter count matches the baseline's within a
// tolerance.
using System.Globalization;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Experiments;

/// <summary>The outcome of an iso-parameter plan.</summary>
/// <param name="Depth">Chosen depth of the low-rank model.</param>
/// <param name="AttentionRank">Chosen attention rank (the template's when ranks were not searched).</param>
/// <param name="MlpRank">Chosen MLP rank.</param>
/// <param name="BaselineParameters">Non-embedding parameters of the baseline.</param>
/// <param name="Parameters">Non-embedding parameters of the chosen low-rank model.</param>
/// <param name="WithinTolerance">Whether |Parameters − BaselineParameters| ≤ tolerance · BaselineParameters.</param>
/// <param name="Message">What was chosen, or why nothing fits.</param>
public sealed record IsoParameterPlan(int Depth, int? AttentionRank, int? MlpRank, long BaselineParameters,
    long Parameters, bool WithinTolerance, string Message)
{
    /// <summary>(Parameters − BaselineParameters) / BaselineParameters.</summary>
    public double RelativeDifference => (double)(Parameters - BaselineParameters) / BaselineParameters;

    /// <summary>The two trials to run: <paramref name="baseline"/>, and <paramref name="lowRank"/> at the planned depth
    /// (and ranks).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(IReadOnlyDictionary<string, string> baseline,
        IReadOnlyDictionary<string, string> lowRank)
    {
        var ci = CultureInfo.InvariantCulture;
        var matched = new Dictionary<string, string>(lowRank) { ["Depth"] = Depth.ToString(ci) };
        if (AttentionRank is int a) matched["AttentionRank"] = a.ToString(ci);
        if (MlpRank is int m) matched["MlpRank"] = m.ToString(ci);
        return [baseline, matched];
    }
}

/// <summary>Matches a low-rank model's parameter count to a baseline's.</summary>
public static class IsoParameterPlanner
{
    /// <param name="baseline">The baseline (usually dense).</param>
    /// <param name="lowRank">The low-rank setting; its Depth is what the planner changes.</param>
    /// <param name="tolerance">Allowed relative difference of non-embedding parameters.</param>
    /// <param name="maxDepth">Deepest model considered.</param>
    /// <param name="searchRanks">Also try constant attention and MLP ranks in steps of
    /// <paramref name="rankStep"/>.</param>
    public static IsoParameterPlan Plan(GptConfig baseline, GptConfig lowRank, double tolerance = 0.02,
        int maxDepth = 64, bool searchRanks = false, int rankStep = 8)
    {
        if (!(tolerance >= 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "tolerance must be ≥ 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        long target = ModelSummary.For(baseline).NonEmbeddingParameters;

        var candidates = new List<(int Depth, int? Attention, int? Mlp, long Params)>();
        var ranks = searchRanks
            ? Enumerable.Range(1, lowRank.ModelDim / rankStep).Select(k => k * rankStep).ToList()
            : [];
        for (int depth = 1; depth <= maxDepth; depth++)
        {
            if (!searchRanks)
            {
                candidates.Add((depth, null, null, Count(lowRank with { Depth = depth })));
                continue;
            }
            foreach (int ra in lowRank.AttentionRank is null ? [0] : ranks)
                foreach (int rm in lowRank.MlpRank is null ? [0] : ranks)
                    candidates.Add((depth, ra == 0 ? null : ra, rm == 0 ? null : rm, Count(lowRank with
                    {
                        Depth = depth,
                        AttentionRank = ra == 0 ? null : ra,
                        MlpRank = rm == 0 ? null : rm,
                    })));
        }
        // Closest count wins; among equally close ones the deepest (the plan's question is about depth).
        var best = candidates.OrderBy(c => Math.Abs(c.Params - target)).ThenByDescending(c => c.Depth).First();
        bool within = Math.Abs(best.Params - target) <= tolerance * target;
        double diff = (double)(best.Params - target) / target;
        string what = $"depth {best.Depth}" + (best.Attention is int a
            ? $", attention rank {a}" : "") + (best.Mlp is int m ? $", MLP rank {m}" : "");
        string message = within
            ? $"{what}: {best.Params:N0} non-embedding parameters vs the baseline's {target:N0} ({diff:+0.0%;-0.0%})."
            : $"No depth up to {maxDepth}{(searchRanks ? " and no rank" : "")} matches the " +
            $"baseline's {target:N0} non-embedding parameters within {tolerance:P1}; the closest " +
            $"is {what} with {best.Params:N0} ({diff:+0.0%;-0.0%}). Loosen the tolerance{(searchRanks ? "" : ", let " +
            "the planner search ranks")} or change the low-rank setting.";
        return new IsoParameterPlan(best.Depth, best.Attention, best.Mlp, target, best.Params, within, message);
    }

    static long Count(GptConfig c) => ModelSummary.For(c).NonEmbeddingParameters;
}
