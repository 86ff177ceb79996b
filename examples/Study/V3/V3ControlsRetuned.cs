// Version 3's addendum on its page (2026-12-07): `lowrank-iso` and `full-rank-factored` re-tuned at 2 × on the tuning
// seed (their reported runs had used rates tuned at 1/4 ×), and — where a rate moved — their 1 and 2 × runs trained
// again at it and the four controls judged again, Holm over all eight comparisons.
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Examples.Study;

public static class V3ControlsRetuned
{
    static string S(double v) => Robustness.Signed(v, 4);

    public static void Write(Action<string> Line, V3Design d, V3Records r, V3Choices retuned, V3Records? rerun)
    {
        Line("## Addendum (2026-12-07): the two controls re-tuned at 2 ×");
        Line("");
        Line("Run by `dotnet run --project examples/Study -c Release -- --v3-controls` into " +
            "[study/v3-controls-2x](study/v3-controls-2x) (its own log there): `lowrank-iso` and " +
            "`full-rank-factored` at Muon rates 0.005, 0.01 and 0.02 at 2 × on the tuning seed, at the reported " +
            "runs' embedding and head rates (0.4 / 0.008), a grid extended while its best is at an edge; an arm " +
            "whose best rate is not the 0.02 its reported runs used is trained again at 1 and 2 × with its 3 seeds, " +
            "and the controls are judged again with those runs.");
        Line("");
        if (retuned.MuonTrials.Count > 0)
        {
            Line("| arm | rate: final validation loss at 2 × (tuning seed) | chosen |");
            Line("|---|---|---:|");
            foreach (var g in retuned.MuonTrials.GroupBy(t => t.Arm))
                Line($"| `{g.Key}` | {string.Join(" · ", g.Select(t => $"{StudyDesign.Rate(t.Rate)}: {(t.Loss is double l ? l.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "did not complete")}"))} | {(retuned.Muon.TryGetValue(g.Key, out double m) ? StudyDesign.Rate(m) : "—")} |");
            Line("");
        }
        if (!retuned.HasFinished("controls-2x"))
        {
            Line($"**In progress** (waiting for `{retuned.WaitingFor}`): nothing here is a finding yet.");
            Line("");
            return;
        }
        if (retuned.Rerun.Count == 0)
        {
            Line("Both arms' best rate at 2 × is the 0.02 their reported runs used: the controls stand on tuned " +
                "rates, as judged above (and, with Holm over all eight, in the corrections).");
            Line("");
            return;
        }
        Line($"Rate moved for {string.Join(", ", retuned.Rerun.Select(a => $"`{a}`"))}: trained again at 1 and 2 ×. " +
            $"The four controls with those runs, Holm over all eight comparisons:");
        Line("");
        Line("| a − b | budget | seeds | difference [95 %] | p | Holm p (8) | counts as | before re-tuning |");
        Line("|---|---|---:|---|---:|---:|---|---|");
        var recs = rerun ?? r;
        var controls = new[] { (d.DenseSmall, d.LowRank), (d.FullRankFactored, d.Dense), (d.LowRankIso, d.Dense),
            (d.LowRankIso, d.FullRankFactored) };
        var rows = new[] { d.One,
            d.Two }.SelectMany(b => controls.Select(k => (A: k.Item1, B: k.Item2, Budget: b,
                Gap: recs.PairedGap(k.Item1.Name, k.Item2.Name, b.Name),
            Before: r.PairedGap(k.Item1.Name, k.Item2.Name, b.Name)))).Where(x => x.Gap is not null).ToList();
        var adjusted = Intervals.Holm(rows.Select(x => x.Gap!.PValue ?? 1).ToArray());
        for (int i = 0; i < rows.Count; i++)
        {
            var x = rows[i];
            Line($"| `{x.A.Name}` − `{x.B.Name}` | {x.Budget.Name} × " +
                $"| {x.Gap!.N} | {S(x.Gap.Value)} [{S(x.Gap.Low)}, {S(x.Gap.High)}] " +
                $"| {Robustness.P(x.Gap.PValue ?? double.NaN)} | {Robustness.P(adjusted[i])} | {V3ResultsPage.Words(VerdictRules.Compare(x.Gap, adjusted[i]))} | {(x.Before is { } b0 ? S(b0.Value) : "—")} |");
        }
        Line("");
        // What re-tuning changed, by the same rule (Holm over the eight) applied to the gaps before and after.
        var adjustedBefore = Intervals.Holm(rows.Select(x => x.Before?.PValue ?? 1).ToArray());
        var changed = rows.Select((x, i) => (x, Now: V3ResultsPage.Words(VerdictRules.Compare(x.Gap!, adjusted[i])),
                Then: x.Before is null ? "—" : V3ResultsPage.Words(VerdictRules.Compare(x.Before, adjustedBefore[i]))))
            .Where(c =>
            c.Now != c.Then).Select(c => $"`{c.x.A.Name}` − `{c.x.B.Name}` at {c.x.Budget.Name} ×: {c.Then} → {c.Now}")
            .ToList();
        var rank = rows.Where(x => x.A == d.LowRankIso && x.B == d.FullRankFactored).ToList();
        var factoring = rows.Where(x => x.A == d.FullRankFactored && x.B == d.Dense).ToList();
        Line($"Read by the same rule: factoring at full rank (`full-rank-factored` − `dense`) " +
            $"costs {string.Join(" and ", factoring.Select(x => $"{S(x.Gap!.Value)} [{S(x.Gap.Low)}, {S(x.Gap.High)}] at {x.Budget.Name} ×"))} " +
             $"(before re-tuning {string.Join(" and ", factoring.Select(x => x.Before is { } b ? S(b.Value) : "—"))}); restricting rank on top of factoring (`lowrank-iso` − `full-rank-factored`) is " +
             $"{string.Join(" and ", rank.Select(x => $"{S(x.Gap!.Value)} [{S(x.Gap.Low)}, {S(x.Gap.High)}] at {x.Budget.Name} ×"))}: a cost up to the intervals' upper ends is not excluded. " +
             $"Verdicts that re-tuning changed: {(changed.Count == 0 ? "none" : string.Join("; ", changed))}. " +
             "Three seeds per cell; the rate was chosen at 2 × on one seed and used at 1 × as well; the other arms " +
            "(`dense`, `dense-small`, `lowrank`) keep the records and rates of version 3's reported runs.");
        Line("");
    }
}
