// The results page's controls section (docs/study/v3/plan.md, "Controls"): at 1 and 2 ×, the four seed-paired
// comparisons that separate the low-rank gap into having fewer parameters, the factoring W = U·V itself, and the rank
// restriction — Holm over the four at each budget, each judged by the plan's rule and said in words.
using MLNet.LowRank.Examples.Study.Statistics;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class V3Controls
{
    static string S(double v) => Robustness.Signed(v, 4);

    /// <summary>One control: a − b, what it isolates, and what each outcome means.</summary>
    sealed record Control(Arm A, Arm B, string Isolates, string IfLower, string IfHigher, string IfNoise);

    public static void Write(Action<string> Line, V3Design d, V3Records r, V3Choices c)
    {
        Control[] controls =
        [
            new(d.DenseSmall, d.LowRank, "fewer parameters: a dense model of `lowrank`'s size",
                "a dense model of `lowrank`'s size is better than `lowrank`: the low-rank gap is more than having " +
                "fewer parameters",
                $"a dense model of `lowrank`'s size is worse than `lowrank`: at this size, factoring at " +
                $"ranks {d.LowRank.Parameters[OptionNames.AttentionRank]} / {d.LowRank.Parameters[OptionNames.MlpRank]} is the better use of the parameters, and `lowrank`'s gap to `dense` is smaller than what having as few parameters costs a dense model",
                "a dense model of `lowrank`'s size cannot be told apart from `lowrank`: its gap to `dense` cannot be " +
                "told apart from having fewer parameters"),
            new(d.FullRankFactored, d.Dense, "the factoring itself (rank = width, no rank restriction)",
                "factoring at full rank is better than dense", "factoring itself costs, with no rank restriction at " +
                "all",
                "the factoring's own cost is inside the noise"),
            new(d.LowRankIso, d.Dense, "low rank at equal parameters and depth",
                "low rank at the dense arm's parameters is better than dense", "low rank at the dense arm's " +
                "parameters and depth is worse than dense",
                "low rank at the dense arm's parameters cannot be told apart from dense"),
            new(d.LowRankIso, d.FullRankFactored, "the rank restriction at a fixed parametrisation (both factored)",
                "restricting rank is better than factoring at full rank", "restricting rank costs beyond what the " +
                "factoring costs",
                "restricting rank costs nothing beyond the factoring that can be told from the noise"),
        ];

        Line("## Controls: fewer parameters, the factoring, and the rank (1 and 2 ×)");
        Line("");
        bool complete = c.HasFinished("new-arms");
        if (!complete) V3ResultsPage.Interim(Line, c, "the new arms'");
        Line("Parameters (excluding the token embedding) of the arms compared, from `ModelSummary.For` on each arm's " +
            "configuration:");
        Line("");
        Line("| arm | non-embedding parameters | block parameters | what it is |");
        Line("|---|---:|---:|---|");
        foreach (var arm in new[] { d.Dense, d.LowRank, d.DenseSmall, d.FullRankFactored, d.LowRankIso })
        {
            var m = ModelSummary.For(d.Config(arm));
            Line($"| `{arm.Name}` | {m.NonEmbeddingParameters:N0} | {m.BlockParameters:N0} | {arm.Description} |");
        }
        Line("");
        Line("Seed-paired difference a − b of final validation loss (nats per byte) with its 95 % t-interval and " +
            "paired t-test; Holm's adjustment over the plan's four controls, applied at each budget on its own (the " +
            "plan names the four as the family, run at 1 and 2 ×).");
        Line("");
        Line("| a − b | isolates | budget | seeds | difference [95 %] | p | Holm p | counts as |");
        Line("|---|---|---|---:|---|---:|---:|---|");
        var findings = new List<string>();
        foreach (var b in new[] { d.One, d.Two })
        {
            var present = controls.Select(k => (Control: k,
                Gap: r.PairedGap(k.A.Name, k.B.Name, b.Name))).Where(x => x.Gap is not null).ToList();
            if (present.Count == 0) { Line($"| — | — | {b.Name} × | 0 | waiting for the runs | | | |"); continue; }
            var adjusted = Intervals.Holm(present.Select(x => x.Gap!.PValue ?? 1).ToArray());
            for (int i = 0; i < present.Count; i++)
            {
                var (k, g) = (present[i].Control, present[i].Gap!);
                var outcome = VerdictRules.Compare(g, adjusted[i]);
                Line($"| `{k.A.Name}` − `{k.B.Name}` | {k.Isolates} | {b.Name} × " +
                    $"| {g.N} | {S(g.Value)} [{S(g.Low)}, {S(g.High)}] " +
                    $"| {Robustness.P(g.PValue ?? double.NaN)} | {Robustness.P(adjusted[i])} | {V3ResultsPage.Words(outcome)} |");
                findings.Add($"`{k.A.Name}` − `{k.B.Name}` " +
                    $"at {b.Name} ×: {outcome switch { Outcome.Lower => k.IfLower, Outcome.Higher => k.IfHigher, _ => k.IfNoise }}.");
            }
            if (present.Count < controls.Length)
                Line($"| ({controls.Length - present.Count} more) | | {b.Name} × | | waiting for the runs | | | |");
        }
        Line("");
        if (!complete) return;
        Line("What each control says, by the plan's rule (Holm p < 0.05 counts, by its sign; otherwise inside the " +
            "noise):");
        Line("");
        foreach (var f in findings) Line($"- {f}");
        Line("");
        Line($"What the controls cannot show: each is one width ({d.V2.Width}), depth 4, two budgets " +
            $"and {d.Seeds(V3Design.FewSeeds).Count} seeds; `dense-small` narrows the MLP (ratio 1) rather than the " +
            $"whole model, so it is one of several dense models of `lowrank`'s size, and its Muon rate was tuned at " +
            $"1/4 × only.");
        Line("");
    }
}
