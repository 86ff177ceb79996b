// docs/results-v4.md, generated from version 4's trial records and nothing else but prose: progress and compute, the
// rates each arm was tuned or checked at, every cell with its training loss, and the plan's verdicts (docs/study/v4/plan.md)
// — the depth question at equal tokens and at equal FLOPs with the ±0.01 equivalence margin, the gap's trajectory, each
// arm's own flattening, and the depth ladder at fixed parameters. A section whose runs have not finished says so.
using System.Globalization;
using System.Text;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Experiments.Statistics;

namespace MLNet.LowRank.Examples.Study;

public static class V4ResultsPage
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    static readonly string[] RateKeys = ["MatrixLearningRate", "EmbeddingLearningRate", "HeadLearningRate", "Seed", "DataSeed"];
    static string S(double v) => Robustness.Signed(v, 4);

    /// <summary>Final validation loss by seed of <paramref name="arm"/>'s reported runs in <paramref name="directory"/>.</summary>
    static Dictionary<int, TrialResult> Runs(string directory, Arm arm) =>
        !Directory.Exists(directory) ? [] : new ResultStore(directory).ReadAll()
            .Where(r => r.Status == TrialStatus.Completed && r.CrossEntropy is not null && r.Parameters["Seed"] != StudyDesign.TuningSeed.ToString(Ci) && Matches(arm, r))
            .ToDictionary(r => int.Parse(r.Parameters["Seed"], Ci));

    static bool Matches(Arm arm, TrialResult r)
    {
        var model = r.Parameters.Where(kv => !RateKeys.Contains(kv.Key)).ToList();
        return model.Count == arm.Parameters.Count && model.All(kv => arm.Parameters.GetValueOrDefault(kv.Key) == kv.Value);
    }

    static Dictionary<int, double> Loss(Dictionary<int, TrialResult> runs) => runs.ToDictionary(kv => kv.Key, kv => kv.Value.CrossEntropy!.Value);

    /// <summary>The mean of the last five logged training losses of a run (each a single batch).</summary>
    static double? TrainLoss(TrialResult r) => r.LossCurve.Count == 0 ? null : r.LossCurve.TakeLast(5).Average(p => p.TrainLoss);

    static string Cell(IReadOnlyCollection<double> losses) => V3ResultsPage.LossCell([.. losses]);

    /// <summary>Per seed, the value at <paramref name="x"/> of the quadratic through that seed's (log₂ tokens, loss) at the
    /// three budgets (Lagrange form); only seeds with all three.</summary>
    static Dictionary<int, double> Quadratic(IReadOnlyList<(double X, Dictionary<int, double> Loss)> nodes, double x)
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

    sealed record Gap(string View, Budget Budget, Estimate Ci95, Estimate Ci90);

    static Gap? Paired(string view, Budget b, Dictionary<int, double> a, Dictionary<int, double> d)
    {
        var seeds = a.Keys.Intersect(d.Keys).Order().ToList();
        if (seeds.Count < 2) return null;
        double[] x = [.. seeds.Select(s => a[s])], y = [.. seeds.Select(s => d[s])];
        return new Gap(view, b, Intervals.PairedDifference(x, y), Intervals.PairedDifference(x, y, level: 0.90));
    }

    /// <summary>The plan's reading of a gap: trails / beats (Holm) and matches (TOST: the 90 % interval inside ±δ).</summary>
    static string Reading(Gap g, double holm)
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

    static string Hypothesis(string reading) => reading switch
    {
        "beats" or "beats by less than the margin" => "supported",
        "matches" => "matched",
        "trails" => "not supported",
        "trails by less than the margin" => "trails within the margin (a case rule 4 does not name)",
        _ => "open",
    };

    public static string Write(string path, string root, V4Design d, V4Phases phases, V4Choices c, string corpusSha)
    {
        var page = new StringBuilder();
        void Line(string text) => page.AppendLine(text);
        string rel(string p) => Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, p).Replace('\\', '/');
        var trained = V3ComputeLimit.TrainedHere(root);

        Line("# Results: does a deeper low-rank GPT with the dense model's parameters match it? (study version 4)");
        Line("");
        Line($"Generated by `dotnet run --project examples/Study -c Release -- --v4 --report-only` from the {trained.Count} version-4 trial records under [{rel(root)}]({rel(root)}); nothing below was typed by hand except the prose. The plan, committed before any version-4 trial ran: [study/v4/plan.md]({rel(Path.Combine(root, "plan.md"))}). Corpus: the Gutenberg subset, manifest SHA-256 `{corpusSha}` ([study/v4/corpus.md]({rel(Path.Combine(root, "corpus.md"))})).");
        Line("");
        Line("## Progress");
        Line("");
        Line(c.WaitingFor is null ? "Every stage of the plan has finished." :
            $"**In progress.** Stages finished: {(c.Finished.Count == 0 ? "none" : string.Join(", ", c.Finished))}; the first unfinished run directory is `{c.WaitingFor}`. Nothing on this page is a verdict until its section says it is complete.");
        Line("");
        Line($"Compute so far: {trained.Count} trials, {V3ComputeLimit.HoursOf(trained):F2} hours by the trials' own clocks (training and periodic evaluation); by the plan's count (half of that, two streams, plus 5 %) {V4ComputeLimit.SpentHours(root):F2} hours of this machine, of its 16.");
        foreach (var cut in c.Cuts)
            Line($"- Before {cut.Stage} ({cut.DecidedUtc:yyyy-MM-dd HH:mm} UTC): {cut.SpentHours:F2} h spent, {cut.EstimateHours:F2} h estimated for what remained — {(cut.Cut.Count == 0 ? "no cut" : $"**cut: {string.Join(", ", cut.Cut)}**")}.");
        Line("");
        Line("## Departures from the plan");
        Line("");
        string crashed = Path.Combine(root, "crashed");
        if (Directory.Exists(crashed) && Directory.GetFiles(crashed, "*.json").Length > 0)
            Line($"- **A trial crashed on a library bug and was run again** ({Directory.GetFiles(crashed, "*.json").Length} record kept in [study/v4/crashed]({rel(crashed)})): TorchSharp's `Tensor.square()` is `pow(2)` with a Scalar nothing holds, which the garbage collector freed while libtorch read it (\"INTERNAL ASSERT FAILED … Scalar.h:279\"). The library now squares as `x * x` (the same float32 values) and a test reads every TorchSharp method the library calls for such conversions; the crashed trial's record was moved out of its run directory and the trial trained again with the fixed build.");
        Line("- **Both streams were paused for a benchmark**: stopped with SIGSTOP from 2026-12-07 09:41:44 to 09:47:29 UTC while the data-parallel benchmark ran (docs/perf/bench-dataparallel.log); the trials under way then count those 5 min 45 s in their own clocks.");
        Line("- **The first sitting's trials share the machine with development work** (builds and test runs), so their own clocks, and so the hours counted against the 16-hour limit, are longer than a quiet machine's; the limit counts them as they are. Wall-clock figures of the arms come from the plan's quiet benchmark, never from these clocks.");
        Line("");

        Rates(Line, d, phases, c);
        var cells = Ladder(Line, d, phases);
        Primary(Line, d, cells, c);
        DepthLadder(Line, d, phases, c);
        return WriteFile(path, page.ToString());
    }

    static string WriteFile(string path, string text)
    {
        MLNet.LowRank.Training.AtomicFile.WriteText(path, text);
        return path;
    }

    static void Rates(Action<string> Line, V4Design d, V4Phases phases, V4Choices c)
    {
        Line("## Learning rates");
        Line("");
        if (c.Tuning.Count == 0)
        {
            // Interim: the 1 × grids as far as their records go (the stage decides nothing until all are in).
            Line("**Interim** (`tune-1x` has not finished): the 1 × grids so far, final validation loss in nats per byte on the tuning seed.");
            Line("");
            Line("| arm | rate: loss |");
            Line("|---|---|");
            foreach (var arm in d.All)
            {
                var tried = Enumerable.Range(0, d.MaxGridExtensions + 1).Select(x => phases.TuneDirectory(arm, x)).Where(Directory.Exists)
                    .SelectMany(dir => new ResultStore(dir).ReadAll()).Where(r => r.Status == TrialStatus.Completed && r.CrossEntropy is not null)
                    .OrderBy(r => double.Parse(r.Parameters["MatrixLearningRate"], Ci)).ToList();
                Line($"| `{arm.Name}` | {(tried.Count == 0 ? "—" : string.Join(" · ", tried.Select(r => $"{r.Parameters["MatrixLearningRate"]}: {r.CrossEntropy:F4}")))} |");
            }
            Line("");
            return;
        }
        Line("Every Muon rate tried on the tuning seed (final validation loss, nats per byte); the chosen rate in bold.");
        Line("");
        Line("| arm | budget | rate: loss | chosen |");
        Line("|---|---|---|---:|");
        foreach (var g in c.Tuning.GroupBy(t => (t.Arm, t.Budget)))
        {
            var chosen = g.Key.Budget == d.One.Name ? c.Muon1.GetValueOrDefault(g.Key.Arm) : c.Muon4.GetValueOrDefault(g.Key.Arm);
            Line($"| `{g.Key.Arm}` | {g.Key.Budget} × | {string.Join(" · ", g.Select(t => (t.Rate == chosen ? "**" : "") + $"{StudyDesign.Rate(t.Rate)}: {(t.Loss is double l ? l.ToString("F4", Ci) : "did not complete")}" + (t.Rate == chosen ? "**" : "")))} | {StudyDesign.Rate(chosen)} |");
        }
        Line("");
        // Low-side checks (the plan's rule): the rate holds unless half of it beats the reported seeds' 95 % prediction interval.
        var checks = new List<string>();
        foreach (var (b, arms, rates) in new[] { (d.Four, d.Ladder, c.Muon1), (d.Sixteen, d.Core, c.Muon4) })
            foreach (var arm in arms)
            {
                if (!rates.TryGetValue(arm.Name, out double rate)) continue;
                var low = Directory.Exists(phases.LowSideDirectory(b)) ? new ResultStore(phases.LowSideDirectory(b)).ReadAll().FirstOrDefault(r => Matches(arm, r) && r.Status == TrialStatus.Completed) : null;
                var seeds = Loss(Runs(phases.ReportedDirectory(b, ladder: d.Ladder.Contains(arm)), arm)).Values.ToList();
                if (low?.CrossEntropy is not double l || seeds.Count < 2) { checks.Add($"`{arm.Name}` at {b.Name} ×: waiting for its runs."); continue; }
                double mean = seeds.Average(), sd = Math.Sqrt(seeds.Sum(x => (x - mean) * (x - mean)) / (seeds.Count - 1));
                double bound = mean - StudentT.Quantile(0.975, seeds.Count - 1) * sd * Math.Sqrt(1 + 1.0 / seeds.Count);
                checks.Add($"`{arm.Name}` at {b.Name} ×: half the rate ({StudyDesign.Rate(rate / 2)}) scored {l:F4} against the seeds' prediction bound {bound:F4} — {(l < bound ? $"**rate not confirmed: half the rate scored {l:F4}**" : "the rate holds")}.");
            }
        if (checks.Count > 0)
        {
            Line("Low-side checks (half the rate, tuning seed, against the reported seeds' 95 % prediction interval for one new seed):");
            Line("");
            foreach (var x in checks) Line($"- {x}");
            Line("");
        }
    }

    /// <summary>Final validation loss per arm and budget (with training loss), and the cells the verdicts read.</summary>
    static Dictionary<(string Arm, string Budget), Dictionary<int, double>> Ladder(Action<string> Line, V4Design d, V4Phases phases)
    {
        var cells = new Dictionary<(string, string), Dictionary<int, double>>();
        Line("## Every cell");
        Line("");
        Line("Final validation loss in nats per byte, mean [95 %] (seeds), and the final training loss (mean over seeds of the last five logged training losses; training text is other books than the held-out openings, so the two differ by text as well as by fit).");
        Line("");
        Line("| arm | depth | budget | tokens | validation loss | training loss | training − validation |");
        Line("|---|---:|---|---:|---|---:|---:|");
        foreach (var arm in d.All)
            foreach (var b in d.Budgets)
            {
                bool ladder = d.Ladder.Contains(arm);
                if (ladder && b != d.Four) continue;
                var runs = Runs(phases.ReportedDirectory(b, ladder), arm);
                var loss = Loss(runs);
                cells[(arm.Name, b.Name)] = loss;
                var train = runs.Values.Select(TrainLoss).OfType<double>().ToList();
                string trainCell = train.Count == 0 ? "—" : $"{train.Average():F4}";
                string diff = train.Count == 0 || loss.Count == 0 ? "—" : S(train.Average() - loss.Values.Average());
                Line($"| `{arm.Name}` | {arm.Parameters["Depth"]} | {b.Name} × | {d.Tokens(b):N0} | {Cell(loss.Values)} | {trainCell} | {diff} |");
            }
        Line("");
        return cells;
    }

    static void Primary(Action<string> Line, V4Design d, Dictionary<(string Arm, string Budget), Dictionary<int, double>> cells, V4Choices c)
    {
        Line("## The depth question: `deep` against `dense`");
        Line("");
        double r = d.FlopsPerToken(d.Deep) / d.FlopsPerToken(d.Dense);
        var denseNodes = d.Budgets.Select(b => (X: Math.Log2(d.Tokens(b)), Loss: cells[(d.Dense.Name, b.Name)])).ToList();
        var deepNodes = d.Budgets.Select(b => (X: Math.Log2(d.Tokens(b)), Loss: cells[(d.Deep.Name, b.Name)])).ToList();
        bool threeBudgets = denseNodes.All(n => n.Loss.Count >= 2) && deepNodes.All(n => n.Loss.Count >= 2);
        var gaps = new List<Gap>();
        foreach (var b in d.Budgets)
        {
            if (Paired("equal tokens", b, cells[(d.Deep.Name, b.Name)], cells[(d.Dense.Name, b.Name)]) is { } g) gaps.Add(g);
            if (!threeBudgets) continue;
            double x = Math.Log2(d.Tokens(b));
            // Equal FLOPs: dense read at r × the tokens (1 and 4 ×); at 16 ×, deep read at 1/r of them (dense's runs end there).
            var flops = b == d.Sixteen
                ? Paired("equal FLOPs", b, Quadratic(deepNodes, x - Math.Log2(r)), cells[(d.Dense.Name, b.Name)])
                : Paired("equal FLOPs", b, cells[(d.Deep.Name, b.Name)], Quadratic(denseNodes, x + Math.Log2(r)));
            if (flops is not null) gaps.Add(flops);
        }
        if (gaps.Count == 0) { Line("Waiting for the reported runs of both arms."); Line(""); return; }
        var holm = Intervals.Holm([.. gaps.Select(g => g.Ci95.PValue ?? 1)]);
        Line($"Seed-paired gap `deep` − `dense` (nats per byte): mean, 95 % and 90 % t-intervals, paired t-test with Holm over the {gaps.Count} gaps present (the plan's family is six). Equal FLOPs: `deep` costs {r:F3} × `dense`'s training FLOPs per token; `dense` is read at {r:F3} × the tokens on each seed's quadratic in log₂(tokens) through its 1, 4 and 16 × runs (at 16 ×, `deep` at 1/{r:F3} of them on its own quadratic) — interpolation between separately warmed-down runs, about 0.003 nats/byte of error by the plan's estimate. Equivalence margin ±{V4Design.Margin} (TOST: the 90 % interval inside it).");
        Line("");
        Line("| budget | view | seeds | gap [95 %] | 90 % interval | p | Holm p | reading | the hypothesis |");
        Line("|---|---|---:|---|---|---:|---:|---|---|");
        for (int i = 0; i < gaps.Count; i++)
        {
            var g = gaps[i];
            string reading = Reading(g, holm[i]);
            string borderline = g.View == "equal FLOPs" && Math.Min(Math.Abs(Math.Abs(g.Ci90.Low) - V4Design.Margin), Math.Abs(Math.Abs(g.Ci90.High) - V4Design.Margin)) < 0.003 ? " (borderline: within the interpolation error of the margin)" : "";
            Line($"| {g.Budget.Name} × | {g.View} | {g.Ci95.N} | {S(g.Ci95.Value)} [{S(g.Ci95.Low)}, {S(g.Ci95.High)}] | [{S(g.Ci90.Low)}, {S(g.Ci90.High)}] | {Robustness.P(g.Ci95.PValue ?? double.NaN)} | {Robustness.P(holm[i])} | {reading}{borderline} | {Hypothesis(reading)} |");
        }
        Line("");
        bool complete = c.Finished.Contains("stage-3");
        if (!complete) { Line("**Interim**: the 16 × runs (stage 3) have not all finished; the rows above are figures, not the verdict."); Line(""); }

        // Trajectory over 1–16 ×.
        var points = d.Budgets.SelectMany(b => cells[(d.Deep.Name, b.Name)].Keys.Intersect(cells[(d.Dense.Name, b.Name)].Keys)
            .Select(s => (X: Math.Log2(d.Tokens(b)), Y: cells[(d.Deep.Name, b.Name)][s] - cells[(d.Dense.Name, b.Name)][s]))).ToList();
        if (points.Select(p => p.X).Distinct().Count() >= 3)
        {
            var t = LinearTrend.Fit(points);
            double lof = V3Corrections.LackOfFitP(points);
            var means = points.GroupBy(p => p.X).Select(g => (X: g.Key, Y: g.Average(p => p.Y))).ToList();
            var unit = LinearTrend.Fit(means);
            string verdict = lof < 0.05 ? "no trend shown (the budgets reject a line)" : t.Slope.High < 0 ? "closing" : t.Slope.Low > 0 ? "widening" : "no trend shown";
            Line($"**The gap's trajectory** (seeds as points, {points.Count}): slope {V3Corrections.Fine(t.Slope.Value)} [{V3Corrections.Fine(t.Slope.Low)}, {V3Corrections.Fine(t.Slope.High)}] per doubling of tokens, p = {Robustness.P(t.Slope.PValue ?? double.NaN)}, lack of fit p = {Robustness.P(lof)}; budget means as points: {V3Corrections.Fine(unit.Slope.Value)} [{V3Corrections.Fine(unit.Slope.Low)}, {V3Corrections.Fine(unit.Slope.High)}]. By the plan's rule: **{verdict}**. No extrapolation past 16 ×.");
            Line("");
        }

        // Each arm's own flattening from 4 to 16 ×.
        var flattening = new List<string>();
        foreach (var arm in d.Core)
        {
            var l4 = cells[(arm.Name, d.Four.Name)];
            var l16 = cells[(arm.Name, d.Sixteen.Name)];
            var seeds = l4.Keys.Intersect(l16.Keys).Order().ToList();
            if (seeds.Count < 2) continue;
            var drop = Intervals.Mean([.. seeds.Select(s => (l4[s] - l16[s]) / 2)]);
            string state = drop.High < 0.005 ? "flattened" : drop.Low > 0.005 ? "still falling" : "unresolved";
            flattening.Add($"`{arm.Name}` falls {drop.Value:F4} [{drop.Low:F4}, {drop.High:F4}] nats/byte per doubling from 4 to 16 × ({seeds.Count} seeds): **{state}**");
        }
        if (flattening.Count > 0)
        {
            Line($"**Plateau, on each arm's own loss** (the plan: flattened below 0.005 per doubling): {string.Join("; ", flattening)}.");
            Line("");
        }
    }

    static void DepthLadder(Action<string> Line, V4Design d, V4Phases phases, V4Choices c)
    {
        Line("## The depth ladder at the dense arm's parameters (4 ×)");
        Line("");
        if (c.Cuts.SelectMany(x => x.Cut).Any()) Line($"Cut under the 16-hour limit: {string.Join(", ", c.Cuts.SelectMany(x => x.Cut))}.");
        var dense = Loss(Runs(phases.ReportedDirectory(d.Four), d.Dense));
        var rungs = new[] { d.LowRankIso, d.Deep, d.Deep16 }
            .Select(a => (Arm: a, Loss: Loss(Runs(phases.ReportedDirectory(d.Four, ladder: a != d.Deep), a))
                .Where(kv => kv.Key <= 3).ToDictionary(kv => kv.Key, kv => kv.Value))).ToList();
        var gaps = rungs.Select(x => (x.Arm, Gap: Paired("equal tokens", d.Four, x.Loss, dense))).Where(x => x.Gap is not null).ToList();
        if (gaps.Count == 0) { Line("Waiting for the 4 × runs."); Line(""); return; }
        var holm = Intervals.Holm([.. gaps.Select(g => g.Gap!.Ci95.PValue ?? 1)]);
        Line($"Seed-paired gap rung − `dense` over seeds 1–3, Holm over the {gaps.Count} rungs present, read with the same margin:");
        Line("");
        Line("| rung | depth | seeds | gap [95 %] | 90 % interval | Holm p | reading |");
        Line("|---|---:|---:|---|---|---:|---|");
        for (int i = 0; i < gaps.Count; i++)
        {
            var (arm, g) = (gaps[i].Arm, gaps[i].Gap!);
            Line($"| `{arm.Name}` | {arm.Parameters["Depth"]} | {g.Ci95.N} | {S(g.Ci95.Value)} [{S(g.Ci95.Low)}, {S(g.Ci95.High)}] | [{S(g.Ci90.Low)}, {S(g.Ci90.High)}] | {Robustness.P(holm[i])} | {Reading(g, holm[i])} |");
        }
        Line("");
        var points = rungs.SelectMany(x => x.Loss.Keys.Intersect(dense.Keys).Select(s => (X: Math.Log2(int.Parse(x.Arm.Parameters["Depth"], Ci)), Y: x.Loss[s] - dense[s]))).ToList();
        if (points.Select(p => p.X).Distinct().Count() >= 2 && points.Count >= 3)
        {
            var t = LinearTrend.Fit(points);
            string verdict = t.Slope.High < 0 ? "deeper is better at fixed parameters" : t.Slope.Low > 0 ? "deeper is worse at fixed parameters" : "no trend shown";
            Line($"Slope of the gap against log₂(depth): {V3Corrections.Fine(t.Slope.Value)} [{V3Corrections.Fine(t.Slope.Low)}, {V3Corrections.Fine(t.Slope.High)}] per doubling of depth ({points.Count} points): **{verdict}**.");
            Line("");
        }
    }
}
