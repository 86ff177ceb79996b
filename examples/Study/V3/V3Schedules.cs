// The results page's rank-schedule section (docs/study/v3/plan.md, "Rank schedules", the research plan's stretch goal):
// at 1/4 × and `lowrank`'s parameters, each per-layer schedule against constant rank — five seed-paired differences,
// Holm over the five; a schedule beats constant rank only when its difference counts as lower.
using MLNet.LowRank.Examples.Study.Statistics;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class V3Schedules
{
    /// <summary>The budget name the reported schedule runs are filed under (<see cref="V3Records"/>).</summary>
    public const string Budget = "schedules";

    static string S(double v) => Robustness.Signed(v, 4);

    public static void Write(Action<string> Line, V3Design d, V3Records r, V3Choices c)
    {
        Line("## Rank schedules: does any per-layer schedule beat constant rank?");
        Line("");
        bool complete = c.HasFinished("schedules");
        if (!complete) V3ResultsPage.Interim(Line, c, "the schedules'");
        long constant = ModelSummary.For(d.Config(d.LowRank)).BlockParameters;
        Line($"At {d.Quarter.Name} × ({d.Quarter.Steps} steps), depth 4, each schedule's block parameters within 2 % " +
            $"of constant rank's ({constant:N0}); every arm runs at `lowrank`'s 1/4 × Muon rate (the plan's " +
            $"per-schedule rate checks were its first cut under the 12-hour limit: see the departures), so a " +
            $"schedule that needs another rate is judged at a rate that was not tuned for it. Final validation loss, " +
            $"nats per byte:");
        Line("");
        Line("| arm | attention ranks | MLP ranks | block parameters | Muon rate | loss [95 %] (seeds) |");
        Line("|---|---|---|---:|---:|---|");
        foreach (var arm in d.Schedules.Select(s => s.Arm).Prepend(d.LowRank))
        {
            var m = ModelSummary.For(d.Config(arm));
            // The rate the reported runs used, read off their records (constant rank's is lowrank's 1/4 × rate).
            var rates = r.Runs(arm.Name,
                Budget).Select(t => t.Parameters[OptionNames.MatrixLearningRate]).Distinct().ToList();
            string rate = rates.Count == 0 ? "—" : string.Join(", ", rates);
            string loss = V3ResultsPage.LossCell([.. r.Losses(arm.Name, Budget).Values]);
            Line($"| `{(arm == d.LowRank ? "constant" : arm.Name)}` " +
                $"| {string.Join(", ", m.Blocks.Select(b => b.AttentionRank))} | {string.Join(", ", m.Blocks.Select(b => b.MlpRank))} | {m.BlockParameters:N0} ({(m.BlockParameters - constant) * 100.0 / constant:+0.0;−0.0;0.0} %) | {rate} | {loss} |");
        }
        Line("");

        var diffs = d.Schedules.Select(s => (s.Arm,
            Gap: r.PairedGap(s.Arm.Name, d.LowRank.Name, Budget))).Where(x => x.Gap is not null).ToList();
        if (diffs.Count == 0) { Line("No schedule has paired runs with constant rank yet."); Line(""); return; }
        var adjusted = Intervals.Holm(diffs.Select(x => x.Gap!.PValue ?? 1).ToArray());
        Line($"Seed-paired difference schedule − constant, 95 % t-interval, paired t-test, Holm over " +
            $"the {diffs.Count} schedules present (the plan's family is the five):");
        Line("");
        Line("| schedule − constant | seeds | difference [95 %] | p | Holm p | counts as |");
        Line("|---|---:|---|---:|---:|---|");
        var beats = new List<string>();
        for (int i = 0; i < diffs.Count; i++)
        {
            var (arm, g) = (diffs[i].Arm, diffs[i].Gap!);
            var outcome = VerdictRules.Compare(g, adjusted[i]);
            if (outcome == Outcome.Lower) beats.Add($"`{arm.Name}`");
            Line($"| `{arm.Name}` | {g.N} | {S(g.Value)} [{S(g.Low)}, {S(g.High)}] " +
                $"| {Robustness.P(g.PValue ?? double.NaN)} | {Robustness.P(adjusted[i])} | {V3ResultsPage.Words(outcome)} |");
        }
        Line("");
        if (!complete) return;
        Line(beats.Count == 0
            ? "**No schedule beats constant rank beyond the noise** (the plan's rule: a schedule beats constant rank " +
            "when its difference counts as lower after Holm)."
            : $"**{string.Join(", ", beats)} beat{(beats.Count == 1 ? "s" : "")} constant rank beyond the noise** " +
            $"(the plan's rule: difference counts as lower after Holm).");
        Line("");
        Line("What this cannot show: one width, depth 4 (so a schedule has four points), one budget (1/4 ×), one " +
            "learning rate (constant rank's) and the same shape on attention and MLP ranks; schedules that pay off " +
            "only in deeper models, longer runs or at their own rate are not tested.");
        Line("");
    }
}
