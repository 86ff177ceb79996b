// The results page's middle-budget views: controls and rank scan with intervals, the Pareto frontier, and compute —
// tokens, FLOPs (Newton–Schulz apart) and seconds to a tight threshold, where seconds come from a quiet benchmark of
// each shape (docs/study/bench.csv), never from timings inside the study, which shared the machine.
using System.Globalization;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Examples.Study.Statistics;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class ComputeViews
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    static IEnumerable<Arm> MiddleArms(StudyDesign d) =>
        d.LadderArms.Concat(d.Controls).Concat(d.RankScan.Where(a => a != d.LowRank));

    public static void ControlsAndScan(Action<string> Line, StudyDesign d, StudyRecords r)
    {
        Line("## Every arm at the middle budget (controls and rank scan)");
        Line("");
        Line("| arm | block parameters | Muon rate | final validation loss [95 %] | bits per byte [95 %] |");
        Line("|---|---:|---:|---|---|");
        foreach (var arm in MiddleArms(d).OrderBy(a => ModelSummary.For(d.Config(a)).BlockParameters))
        {
            var runs = r.ReportedRuns(arm.Name, StudyDesign.Middle).Where(t => t.CrossEntropy is not null).ToList();
            string rate = runs.FirstOrDefault()?.Parameters[OptionNames.MatrixLearningRate] ?? "—";
            string loss = runs.Count >= 2
                ? Intervals.Mean(runs.Select(t =>
                t.CrossEntropy!.Value).ToList()).ToString("F4") + $" (n = {runs.Count})" : runs.Count == 1
                ? $"{runs[0].CrossEntropy:F4} (n = 1)" : "—";
            string bpb = runs.Count >= 2
                ? Intervals.Mean(runs.Select(t => t.BitsPerByte!.Value).ToList()).ToString("F4") : "—";
            Line($"| `{arm.Name}` | {ModelSummary.For(d.Config(arm)).BlockParameters:N0} | {rate} | {loss} | {bpb} |");
        }
        Line("");
        var means = MiddleArms(d).Select(a => (Arm: a, Params: ModelSummary.For(d.Config(a)).NonEmbeddingParameters,
            Losses: r.Losses(a.Name, StudyDesign.Middle).Values.ToList()))
            .Where(x => x.Losses.Count > 0).Select(x => (x.Arm, x.Params, Mean: x.Losses.Average())).ToList();
        if (means.Count > 1)
        {
            var frontier = Pareto.Frontier(means, m => m.Params, m => m.Mean);
            Line($"Pareto frontier of non-embedding parameters against mean final loss at the middle " +
                $"budget: {string.Join(" → ", frontier.Select(m => $"`{m.Arm.Name}` ({m.Params:N0}, {m.Mean:F4})"))}.");
            Line("");
        }
    }

    /// <summary>Tokens/s of each arm's shape from the quiet benchmark (docs/study/bench.csv), or null when it has not
    /// been run.</summary>
    public static Dictionary<string, double>? Benchmark(string root, StudyDesign d)
    {
        string path = Path.Combine(root, "bench.csv");
        return File.Exists(path) ? BenchmarkTokensPerSecond(path, MiddleArms(d), d.HeadDim) : null;
    }

    /// <summary>The median tokens/s of each arm's shape in a `lowrank bench train` CSV (empty when the file or its
    /// columns are missing). A row's model spec may name every parameter or only those that differ from the defaults,
    /// with its head width; both sides are compared without the defaults.</summary>
    public static Dictionary<string, double> BenchmarkTokensPerSecond(string path, IEnumerable<Arm> arms, int headDim)
    {
        var result = new Dictionary<string, double>();
        if (!File.Exists(path)) return result;
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        int model = Array.IndexOf(header, "model"),
            tps = Array.FindIndex(header,
            h => h.StartsWith("tokens_per_s", StringComparison.Ordinal) || h == "tokens/s");
        if (model < 0 || tps < 0) return result;
        var defaults = new Dictionary<string, string>
        {
            [OptionNames.AttentionRank] = "dense",
            [OptionNames.MlpRank] = "dense",
            [OptionNames.Depth] = "4",
            ["HeadDim"] = headDim.ToString(Ci),
        };
        Dictionary<string, string> Normal(IEnumerable<KeyValuePair<string, string>> spec) =>
            spec.Where(kv => defaults.GetValueOrDefault(kv.Key) != kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
        var rows = lines.Skip(1).Select(l => l.Split(','))
            .Select(c => (Spec: Normal(c[model].Trim('"').Split(';').Select(kv => kv.Split('=',
            2)).Select(kv => KeyValuePair.Create(kv[0], kv[1]))), Tps: double.Parse(c[tps], Ci)))
            .ToList();
        foreach (var arm in arms)
        {
            var key = Normal(arm.Parameters);
            var matches = rows.Where(x => x.Spec.Count == key.Count
                && x.Spec.All(kv => key.GetValueOrDefault(kv.Key) == kv.Value)).Select(x => x.Tps).Order().ToList();
            if (matches.Count > 0) result[arm.Name] = matches[matches.Count / 2];   // median of the repeats
        }
        return result;
    }

    /// <summary>The `--model` spec of an arm for `lowrank bench train`.</summary>
    public static string BenchKey(Arm arm, StudyDesign d) => string.Join(";",
        arm.Parameters.OrderBy(kv => kv.Key,
        StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) + $";HeadDim={d.HeadDim}";

    public static void TimeToThreshold(Action<string> Line, StudyDesign d, StudyRecords r,
        Dictionary<string, double>? bench, string benchCommand)
    {
        Line("## Compute and time to a tight threshold (middle budget)");
        Line("");
        var dense = r.ReportedRuns("dense",
            StudyDesign.Middle).Select(LastPeriodic).Where(v => v is not null).Select(v => v!.Value).ToList();
        if (dense.Count < 2)
        {
            Line("Waiting for the dense arm's middle-budget seeds, which define the threshold.");
            Line("");
            return;
        }
        double threshold = 1.05 * dense.Average(Math.Exp);
        Line($"Threshold: 1.05 × the dense arm's mean final periodic-subset perplexity " +
            $"= {threshold:F4} (nats/byte {Math.Log(threshold):F4}). " +
             $"Evaluations every {d.Baseline(StudyDesign.Middle, true).Training.EvalEvery} steps " +
            $"of {d.BudgetSteps[StudyDesign.Middle]} (the quantisation is at most that interval ÷ the crossing step, " +
            $"shown). " +
             "FLOPs are model-spec §3's per token times tokens; Muon's Newton–Schulz is listed apart per step. " +
            "Seconds are tokens ÷ the shape's tokens/s in a quiet benchmark" +
             (bench is null
            ? $" — **not yet measured**: run `{benchCommand}` on a quiet machine." : " (`bench.csv`)."));
        Line("");
        Line("| arm | runs reaching it | tokens to threshold [95 %] | quantisation | training TFLOP to threshold | " +
            "Newton–Schulz GFLOP per step | seconds to threshold (quiet benchmark) |");
        Line("|---|---:|---|---:|---:|---:|---:|");
        foreach (var arm in MiddleArms(d))
        {
            var runs = r.ReportedRuns(arm.Name,
                StudyDesign.Middle).Where(t => t.Status == TrialStatus.Completed).ToList();
            if (runs.Count == 0) continue;
            var reached = runs.Select(t => Crossing(t,
                Math.Log(threshold))).Where(c => c is not null).Select(c => c!.Value).ToList();
            var summary = ModelSummary.For(d.Config(arm));
            string tokens = reached.Count >= 2
                ? Intervals.Mean(reached.Select(x => (double)x.Tokens).ToList()).ToString("N0") : reached.Count == 1
                ? reached[0].Tokens.ToString("N0", Ci) : "not reached";
            string quant = reached.Count > 0 ? (reached.Max(x => (double)x.Interval / x.Step)).ToString("P1", Ci) : "—";
            string flops = reached.Count > 0
                ? (reached.Average(x => (double)x.Tokens) * summary.FlopsPerToken / 1e12).ToString("F2", Ci) : "—";
            string seconds = reached.Count > 0 && bench is not null && bench.TryGetValue(arm.Name,
                out double tps) ? (reached.Average(x => (double)x.Tokens) / tps).ToString("F0", Ci) : "—";
            Line($"| `{arm.Name}` | {reached.Count} of {runs.Count} | {tokens} | {quant} | {flops} | {summary.NewtonSchulzFlopsPerStep() / 1e9:F3} | {seconds} |");
        }
        Line("");
    }

    /// <summary>The last periodic evaluation's loss of a run (the evaluation subset's figure), or null without
    /// one.</summary>
    public static double? LastPeriodic(TrialResult t) =>
        t.LossCurve.LastOrDefault(p => p.ValidationLoss is not null)?.ValidationLoss;

    /// <summary>The first periodic evaluation at or below <paramref name="loss"/>: its step, tokens, and the evaluation
    /// interval.</summary>
    public static (int Step, long Tokens, int Interval)? Crossing(TrialResult t, double loss)
    {
        var evals = t.LossCurve.Where(p => p.ValidationLoss is not null).ToList();
        for (int i = 0; i < evals.Count; i++)
            if (evals[i].ValidationLoss <= loss)
                return (evals[i].Step, evals[i].Tokens, i == 0 ? evals[i].Step : evals[i].Step - evals[i - 1].Step);
        return null;
    }

    public static void Memory(Action<string> Line, StudyDesign d, StudyRecords r)
    {
        Line("## Memory");
        Line("");
        Line("Analytic bytes of parameters, gradients and optimizer state (float32; Muon keeps one momentum per " +
            "matrix value, AdamW two moments), and the peak resident memory the trials recorded (the whole process: " +
            "runtime, corpus, activations — which rank does not shrink).");
        Line("");
        Line("| arm | parameters + gradients + optimizer state | peak resident memory (largest budget run, or " +
            "middle) |");
        Line("|---|---:|---:|");
        foreach (var arm in MiddleArms(d))
        {
            var run = r.ReportedRuns(arm.Name,
                StudyDesign.Largest).Concat(r.ReportedRuns(arm.Name,
                StudyDesign.Middle)).FirstOrDefault(t => t.Status == TrialStatus.Completed);
            if (run is null) continue;
            Line($"| `{arm.Name}` | {run.StateBytes / 1024.0:N0} KiB | {run.PeakResidentBytes / 1048576.0:N0} MiB |");
        }
        Line("");
    }
}
