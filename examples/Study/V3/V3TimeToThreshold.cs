// The results page's time-to-threshold section (docs/study/v3/plan.md, "Time to a threshold"): from the 1 × runs at
// width 64, the tokens, FLOPs and quiet seconds each arm needs to reach a periodic-evaluation loss that every arm
// reaches on average — the largest of the arms' mean final periodic losses. Seconds are tokens ÷ the shape's tokens/s
// in the plan's quiet benchmark (docs/study/v3/bench.csv), never timings inside the study, which shared the machine.
using System.Globalization;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Examples.Study.Statistics;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class V3TimeToThreshold
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static void Write(Action<string> Line, V3Design d, V3Records r, V3Choices c, string root)
    {
        Line("## Time to a threshold (1 ×, width " + d.V2.Width + ")");
        Line("");
        var arms = d.Core.Concat(d.NewArms).ToList();
        var finals = arms.Select(a => (Arm: a,
            Finals: r.Runs(a.Name, d.One.Name).Where(t => t.Status == TrialStatus.Completed)
            .Select(ComputeViews.LastPeriodic).OfType<double>().ToList())).ToList();
        // Every arm's 1 × seeds (3, or the smoke run's 2) define the threshold; the 2 × runs are not needed.
        if (finals.Any(f => f.Finals.Count < d.Seeds(V3Design.FewSeeds).Count))
        {
            Line($"Waiting for every arm's 1 × runs (the threshold is defined by all of " +
                $"them){(c.WaitingFor is null ? "" : $"; the run is at `{c.WaitingFor}`")}.");
            Line("");
            return;
        }
        var worst = finals.MaxBy(f => f.Finals.Average());
        double threshold = worst.Finals.Average();
        var bench = ComputeViews.BenchmarkTokensPerSecond(Path.Combine(root, "bench.csv"), arms, d.V2.HeadDim);
        Line($"Threshold: the largest of the arms' mean final periodic-evaluation losses at 1 × — " +
            $"`{worst.Arm.Name}`'s, {threshold:F4} nats per byte on the periodic subset ({d.V2.EvalTokens:N0} tokens " +
            $"spread over the validation set) — so that every arm reaches it on average; a seed that does not is " +
            $"counted. A run's crossing is its first periodic evaluation at or below it; the quantisation column is " +
            $"the largest evaluation interval ÷ crossing step among its seeds (version 2's reused 1 × records " +
            $"evaluate every 5 % of steps, version 3's every 1 %). FLOPs are model-spec §3's training FLOPs per " +
            $"token × tokens (Muon's Newton–Schulz apart); seconds are tokens ÷ the shape's median tokens/s in the " +
            $"plan's quiet benchmark ([bench.csv](study/v3/bench.csv)); intervals are 95 % t-intervals over seeds.");
        Line("");
        Line("| arm | seeds reaching it | tokens to threshold [95 %] | quantisation | training TFLOP to threshold " +
            "[95 %] | quiet seconds to threshold [95 %] | records |");
        Line("|---|---:|---|---:|---|---|---|");
        var never = new List<string>();
        foreach (var arm in arms)
        {
            var runs = r.Runs(arm.Name, d.One.Name).Where(t => t.Status == TrialStatus.Completed).ToList();
            var reached = runs.Select(t => ComputeViews.Crossing(t,
                threshold)).OfType<(int Step, long Tokens, int Interval)>().ToList();
            if (reached.Count < runs.Count)
                never.Add($"`{arm.Name}` ({runs.Count - reached.Count} of {runs.Count} seeds)");
            var summary = ModelSummary.For(d.Config(arm));
            string Scaled(double k, string format) => reached.Count >= 2
                ? Interval(Intervals.Mean(reached.Select(x => (double)x.Tokens).ToList()), k, format)
                : reached.Count == 1 ? (reached[0].Tokens * k).ToString(format, Ci) : "—";
            string quant = reached.Count > 0 ? reached.Max(x => (double)x.Interval / x.Step).ToString("P1", Ci) : "—";
            string seconds = bench.TryGetValue(arm.Name,
                out double tps) ? Scaled(1 / tps, "N0") : "no benchmark of this shape";
            string source = r.Source.GetValueOrDefault((arm.Name, d.One.Name)) ?? "—";
            Line($"| `{arm.Name}` | {reached.Count} of {runs.Count} | {Scaled(1, "N0")} | {quant} | {Scaled(summary.FlopsPerToken / 1e12, "F2")} | {seconds} | {source} |");
        }
        Line("");
        Line(never.Count == 0
            ? "Every seed of every arm reaches the threshold." : $"Seeds that never reach it within 1 " +
            $"×: {string.Join(", ", never)}.");
        Line("");
    }

    static string Interval(Estimate e, double k, string format) =>
        $"{(e.Value * k).ToString(format, Ci)} [{(e.Low * k).ToString(format, Ci)}, {(e.High * k).ToString(format, Ci)}]";
}
