// Version 3's run order (docs/study/v3/plan.md): the build check that decides whether version 2's records are reused,
// re-tuning at 2 × for the deep and low-rank arms, the 4 × core ladder, re-runs where a rate moved, the joint
// embedding/head/Muon check, the new arms at 1 and 2 ×, the width ladder at 1 ×, the rank schedules, and the width
// ladder at 2 × (last: the budget the 12-hour limit cuts second, after the schedules' rate checks). Each step is an
// experiment in its own run directory under docs/study/v3, so a re-run skips every finished trial; with a read-only
// batch the same walk trains nothing and stops at the first unfinished phase (what the results page does).
using System.Globalization;
using MLNet.LowRank.Experiments;
using static MLNet.LowRank.Examples.Study.TrialBatch;

namespace MLNet.LowRank.Examples.Study;

/// <summary>Everything version 3 decides from its records, filled in phase by phase (null or absent until
/// decided).</summary>
public sealed class V3Choices
{
    /// <summary>Seed 1 of each core arm at 1 × with today's build, against version 2's seeds: (arm, re-run, low,
    /// high).</summary>
    public List<(string Arm, double Rerun, double Low, double High)> BuildCheck { get; } = [];
    /// <summary>True when every build-check re-run lies inside its widened range: version 2's core records are
    /// reused.</summary>
    public bool? ReuseV2 { get; set; }
    /// <summary>Muon rate per arm name at 1, 2 and 4 × (core arms), or at every budget (new arms, width
    /// arms).</summary>
    public Dictionary<string, double> Muon { get; } = [];
    /// <summary>Core arms whose 1 and 2 × runs were trained again (their rate moved, or the build check
    /// failed).</summary>
    public List<string> Rerun { get; } = [];
    /// <summary>The best joint (embedding, head, Muon) setting at 1/4 × per arm, and its final validation loss (tuning
    /// seed).</summary>
    public Dictionary<string, (double Embedding, double Head, double Muon, double Loss)> Joint { get; } = [];
    /// <summary>Every Muon rate each tuning tried, in order of rate: (arm, budget, rate, final validation loss — null
    /// when the trial did not complete —, whether the record is version 2's).</summary>
    public List<(string Arm, string Budget, double Rate, double? Loss, bool V2)> MuonTrials { get; } = [];
    /// <summary>Each rank schedule's Muon rate at 1/4 × (constant rank's: the rate checks were cut).</summary>
    public Dictionary<string, double> ScheduleMuon { get; } = [];
    /// <summary>Width-ladder budgets cut whole under the 12-hour limit: (width, multiple, hours spent when decided, the
    /// width's 1 × hours, the estimate, the last record's finish time then).</summary>
    public List<(int Width, double Multiple, double Spent, double OneTimes, double Estimate, DateTime At)> WidthCuts { get; } = [];
    /// <summary>The first phase whose trials have not all finished (read-only walks), or null when all have.</summary>
    public string? WaitingFor { get; set; }
    /// <summary>The plan's phases that have finished, in order: "check", "core", "joint", "new-arms", "widths-1x",
    /// "schedules", "widths-2x".</summary>
    public List<string> Finished { get; } = [];
    /// <summary>True when <paramref name="phase"/> (one of <see cref="Finished"/>'s names) and every phase before it
    /// have finished.</summary>
    public bool HasFinished(string phase) => Finished.Contains(phase);
}

public sealed class V3Phases(TrialBatch batch, V3Design d, Choices v2, Phases v2Phases, StudyRecords v2Records,
    string root, Action<string> log)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    StudyDesign V2 => d.V2;

    public V3Choices Choices { get; } = new();

    static string Slug(Budget b) => b.Name.Replace("/", "-");
    static string Extended(string path, int extension) => extension == 0 ? path : $"{path}-x{extension}";
    public string CheckDirectory => Path.Combine(root, "check");
    public string RetuneDirectory(Arm arm, int extension = 0) => Extended(Path.Combine(root, "retune-2x", arm.Name),
        extension);
    public string CoreDirectory(Budget b) => Path.Combine(root, "core", $"budget-{Slug(b)}");
    public string NewArmsDirectory(Budget b) => Path.Combine(root, "new-arms", $"budget-{Slug(b)}");
    public string JointDirectory(Arm arm, string part) => Path.Combine(root, "joint", arm.Name, part);
    public string TuneDirectory(Arm arm, int extension = 0) => Extended(Path.Combine(root, "tune", arm.Name),
        extension);
    public string WidthDirectory(int width, Budget b) => Path.Combine(root, "width", $"w{width}-budget-{Slug(b)}");
    public string ScheduleReportedDirectory => Path.Combine(root, "schedules", "reported");

    /// <summary>Every phase in the plan's order; a read-only walk records the first unfinished one and
    /// returns.</summary>
    public async Task<V3Choices> RunAsync()
    {
        try
        {
            await CheckBuildAsync();
            Choices.Finished.Add("check");
            await CoreAsync();
            Choices.Finished.Add("core");
            await JointAsync(d.Dense);
            await JointAsync(d.LowRank);
            Choices.Finished.Add("joint");
            await NewArmsAsync();
            Choices.Finished.Add("new-arms");
            // The width ladder's 2 × runs go last, after the schedules: the plan's second cut under the 12-hour limit
            // is that budget, so it is what the limit runs out on (docs/results-v3.md, departures).
            await WidthsAsync(multiple: 1);
            Choices.Finished.Add("widths-1x");
            await SchedulesAsync();
            Choices.Finished.Add("schedules");
            await WidthsAsync(multiple: 2);
            Choices.Finished.Add("widths-2x");
        }
        catch (PhaseNotFinishedException e)
        {
            Choices.WaitingFor = Path.GetRelativePath(root, e.Directory).Replace('\\', '/');
        }
        return Choices;
    }

    /// <summary>Version 3's addendum (the study issue, 2026-12-07): `lowrank-iso` and `full-rank-factored` were tuned
    /// at 1/4 × only, and factored models' best rate fell with longer training, so both are re-tuned at 2 × on the
    /// tuning seed (0.005, 0.01, 0.02 at the reported runs' embedding and head rates, extended while the best is at an
    /// edge); an arm whose rate moves is trained again at 1 and 2 × with its 3 seeds. Run over its own root
    /// (docs/study/v3-controls-2x), so version 3's own records, compute and log are untouched.</summary>
    public async Task<V3Choices> RetuneControlsAsync()
    {
        try
        {
            foreach (var (arm,
                v2Name) in new[] { (d.LowRankIso, "rank-32"), (d.FullRankFactored, d.FullRankFactored.Name) })
            {
                // The rate the reported runs used: version 2's tuning at 1/4 × (a smoke run, whose version 2 has no
                // such arm, counts every rate as moved, so its re-runs are exercised too).
                double? before = v2.Muon.TryGetValue(v2Name, out double used) ? used : null;
                Choices.Muon[arm.Name] = await TuneAsync(arm, d.Two, [0.005, 0.01, 0.02],
                    [], x => RetuneDirectory(arm, x), v2.Embedding, v2.Head);
                if (Choices.Muon[arm.Name] != before) Choices.Rerun.Add(arm.Name);
            }
            var moved = d.NewArms.Where(a => Choices.Rerun.Contains(a.Name)).ToList();
            foreach (var b in new[] { d.One, d.Two })
                if (moved.Count > 0)
                    await batch.RunAsync(NewArmsDirectory(b), b.Name, b.Steps, V2.BaselineFor(b.Steps, b == d.One),
                        [.. moved.SelectMany(a => d.Seeds(V3Design.FewSeeds).Select(s => Trial(a, Choices.Muon[a.Name],
                        s)))]);
            Choices.Finished.Add("controls-2x");
        }
        catch (PhaseNotFinishedException e)
        {
            Choices.WaitingFor = Path.GetRelativePath(root, e.Directory).Replace('\\', '/');
        }
        return Choices;
    }

    Dictionary<string, string> Trial(Arm arm, double muon, int seed) => With(arm.Parameters, muon, v2.Embedding,
        v2.Head, seed);

    /// <summary>Seed 1 of each core arm at 1 ×, exactly as version 2 ran it; reuse stands if each re-run lies inside
    /// the version-2 seeds' range widened by their standard deviation.</summary>
    async Task CheckBuildAsync()
    {
        var records = await batch.RunAsync(CheckDirectory, d.One.Name, d.One.Steps, V2.Baseline(2, false),
            [.. d.Core.Select(a => Trial(a, v2.MuonFor(a, 2), 1))]);
        foreach (var arm in d.Core)
        {
            var seeds = v2Records.Losses(arm.Name, 2).Values.ToList();
            if (seeds.Count < 2)
                throw new InvalidOperationException($"Version 2's records of {arm.Name} at 1 × are missing: the " +
                    $"build check needs them.");
            double mean = seeds.Average(), sd = Math.Sqrt(seeds.Sum(x => (x - mean) * (x - mean)) / (seeds.Count - 1));
            var rerun = records.Single(r => arm.Parameters.All(kv => r.Parameters[kv.Key] == kv.Value));
            Choices.BuildCheck.Add((arm.Name, rerun.CrossEntropy ?? double.NaN, seeds.Min() - sd, seeds.Max() + sd));
        }
        Choices.ReuseV2 = Choices.BuildCheck.All(c => c.Rerun >= c.Low && c.Rerun <= c.High);
        log($"Build check: {string.Join("; ", Choices.BuildCheck.Select(c => $"{c.Arm} {c.Rerun:F4} in [{c.Low:F4}, {c.High:F4}]"))} → version 2's core records are {(Choices.ReuseV2 == true ? "reused" : "NOT reused: every core point is trained again")}.");
    }

    /// <summary>Re-tuning at 2 ×, the 4 × ladder at the 2 × rates, and the 1 and 2 × runs of any arm whose rate
    /// moved.</summary>
    async Task CoreAsync()
    {
        Choices.Muon[d.Dense.Name] = v2.LargestBudgetMuon[d.Dense.Name];   // version 2's check: 0.01 / 0.02 / 0.04, interior
        Choices.Muon[d.LowRank.Name] = await TuneAsync(d.LowRank, d.Two, [0.005],
            v2Records.Confirmation[d.LowRank.Name], x => RetuneDirectory(d.LowRank, x), v2.Embedding, v2.Head);
        Choices.Muon[d.Deep.Name] = await TuneAsync(d.Deep, d.Two, V3Design.Around(v2.MuonFor(d.Deep, 3)),
            [], x => RetuneDirectory(d.Deep, x), v2.Embedding, v2.Head);
        log($"Rates at 2 × (serving 1, 2 and 4 " +
            $"×): {string.Join(", ", d.Core.Select(a => $"{a.Name} {StudyDesign.Rate(Choices.Muon[a.Name])} (version 2: {StudyDesign.Rate(v2.MuonFor(a, 3))})"))}.");

        await batch.RunAsync(CoreDirectory(d.Four), d.Four.Name, d.Four.Steps, V2.BaselineFor(d.Four.Steps, false),
            [.. d.Core.SelectMany(a => d.Seeds(V3Design.ManySeeds).Select(s => Trial(a, Choices.Muon[a.Name], s)))]);

        Choices.Rerun.AddRange(d.Core.Where(a => Choices.ReuseV2 != true || Choices.Muon[a.Name] != v2.MuonFor(a,
            3)).Select(a => a.Name));
        foreach (var b in new[] { d.One, d.Two })
        {
            var arms = d.Core.Where(a => Choices.Rerun.Contains(a.Name)).ToList();
            if (arms.Count == 0) continue;
            await batch.RunAsync(CoreDirectory(b), b.Name, b.Steps, V2.BaselineFor(b.Steps, b == d.One),
                [.. arms.SelectMany(a => V2.ReportedSeeds(a,
                d.V2Index(b)!.Value).Select(s => Trial(a, Choices.Muon[a.Name], s)))]);
        }
        if (Choices.ReuseV2 != true)
            await batch.RunAsync(CoreDirectory(d.Quarter), d.Quarter.Name, d.Quarter.Steps,
                V2.Baseline(StudyDesign.Middle, true),
                [.. d.Core.SelectMany(a => V2.ReportedSeeds(a,
                StudyDesign.Middle).Select(s => Trial(a, v2.Muon[a.Name], s)))]);
    }

    /// <summary>The Muon rate with the lowest final validation loss on the tuning seed at <paramref name="b"/>, over
    /// <paramref name="existing"/> records and <paramref name="grid"/>; while the best is at an edge, one more point
    /// beyond it (its own directory), up to the plan's three extensions.</summary>
    async Task<double> TuneAsync(Arm arm, Budget b, IReadOnlyList<double> grid, IEnumerable<TrialResult> existing,
        Func<int, string> directory, double embedding, double head)
    {
        var baseline = V2.BaselineFor(b.Steps, false);
        var records = existing.ToList();
        int fromV2 = records.Count;
        var missing = grid.Where(lr => !records.Any(r => Value(r, OptionNames.MatrixLearningRate) == lr)).ToList();
        if (missing.Count > 0)
            records.AddRange(await batch.RunAsync(directory(0), b.Name, b.Steps, baseline,
                [.. missing.Select(lr => With(arm.Parameters, lr, embedding, head, StudyDesign.TuningSeed))]));
        for (int extension = 1; extension <= V2.MaxGridExtensions; extension++)
        {
            var tried = records.Select(r => Value(r, OptionNames.MatrixLearningRate)).ToList();
            double best = Best(records);
            double? next = best == tried.Min() ? best / 2 : best == tried.Max() ? best * 2 : null;
            if (next is not double rate) break;
            log($"{arm.Name}: best Muon rate {StudyDesign.Rate(best)} at {b.Name} × is at the edge of the grid; " +
                $"trying {StudyDesign.Rate(rate)}.");
            records.AddRange(await batch.RunAsync(directory(extension), b.Name, b.Steps, baseline,
                [With(arm.Parameters, rate, embedding, head, StudyDesign.TuningSeed)]));
        }
        Choices.MuonTrials.AddRange(records.Select((r, i) => (arm.Name, b.Name,
            Value(r, OptionNames.MatrixLearningRate), r.Status == TrialStatus.Completed ? r.CrossEntropy : null,
            i < fromV2))
            .OrderBy(t => t.Item3));
        return Best(records);
    }

    /// <summary>Embedding × head at the arm's 1/4 × Muon rate (version 2's tuning records copied where they match),
    /// extended while the best is at an edge, then the Muon rate ×½ and ×2 at the best pair.</summary>
    async Task JointAsync(Arm arm)
    {
        double muon = v2.Muon[arm.Name];
        var baseline = V2.BaselineFor(d.Quarter.Steps, false);
        Dictionary<string, string> Point(double e, double h, double m) => With(arm.Parameters, m, e, h,
            StudyDesign.TuningSeed);
        string[] reuse = [v2Phases.TuneDirectory(arm), v2Phases.EmbeddingHeadDirectory];
        var records = (await batch.RunAsync(JointDirectory(arm, "grid"), d.Quarter.Name, d.Quarter.Steps, baseline,
            [.. V3Design.EmbeddingGrid.SelectMany(e => V3Design.HeadGrid.Select(h => Point(e, h, muon)))],
            reuse)).ToList();
        for (int extension = 1; extension <= V2.MaxGridExtensions; extension++)
        {
            var best = BestRecord(records, _ => true)!;
            double e = Value(best, OptionNames.EmbeddingLearningRate), h = Value(best, OptionNames.HeadLearningRate);
            var next = new List<(double E, double H)>();
            var es = records.Where(r => Value(r, OptionNames.HeadLearningRate) == h).Select(r => Value(r,
                OptionNames.EmbeddingLearningRate)).ToList();
            var hs = records.Where(r => Value(r, OptionNames.EmbeddingLearningRate) == e).Select(r => Value(r,
                OptionNames.HeadLearningRate)).ToList();
            if (e == es.Min()) next.Add((e / 2, h)); else if (e == es.Max()) next.Add((e * 2, h));
            if (h == hs.Min()) next.Add((e, h / 2)); else if (h == hs.Max()) next.Add((e, h * 2));
            if (next.Count == 0) break;
            log($"{arm.Name}: best embedding/head pair {StudyDesign.Rate(e)} / {StudyDesign.Rate(h)} is at an edge; " +
                $"trying {string.Join(", ", next.Select(p => $"{StudyDesign.Rate(p.E)} / {StudyDesign.Rate(p.H)}"))}.");
            records.AddRange(await batch.RunAsync(JointDirectory(arm, $"x{extension}"), d.Quarter.Name,
                d.Quarter.Steps, baseline, [.. next.Select(p => Point(p.E, p.H, muon))]));
        }
        var pair = BestRecord(records, _ => true)!;
        double be = Value(pair, OptionNames.EmbeddingLearningRate), bh = Value(pair, OptionNames.HeadLearningRate);
        records.AddRange(await batch.RunAsync(JointDirectory(arm, "muon"), d.Quarter.Name, d.Quarter.Steps, baseline,
            [Point(be, bh, muon / 2), Point(be, bh, muon * 2)]));
        var overall = BestRecord(records, _ => true)!;
        Choices.Joint[arm.Name] = (Value(overall, OptionNames.EmbeddingLearningRate),
            Value(overall, OptionNames.HeadLearningRate), Value(overall, OptionNames.MatrixLearningRate),
            overall.CrossEntropy!.Value);
        log($"{arm.Name}: best joint setting at 1/4 × " +
            $"embedding {StudyDesign.Rate(Choices.Joint[arm.Name].Embedding)}, " +
            $"head {StudyDesign.Rate(Choices.Joint[arm.Name].Head)}, " +
            $"Muon {StudyDesign.Rate(Choices.Joint[arm.Name].Muon)} (loss {Choices.Joint[arm.Name].Loss:F4}).");
    }

    /// <summary>The size control's Muon rate at 1/4 ×, then the three new arms at 1 and 2 × with 3 seeds.</summary>
    async Task NewArmsAsync()
    {
        // Version 2 tuned lowrank-iso (as rank-32) and full-rank-factored at 1/4 × already; an arm it did not tune (the
        // size control, and every new arm in a smoke run) is tuned the same way: the five-point grid at embedding and
        // head rates 0.2 / 0.004, as version 2 tuned every Muon rate.
        foreach (var (arm,
            v2Name) in new[] { (d.LowRankIso, "rank-32"), (d.FullRankFactored, d.FullRankFactored.Name),
            (d.DenseSmall, "") })
            Choices.Muon[arm.Name] = v2.Muon.TryGetValue(v2Name, out double rate) ? rate
                : await TuneAsync(arm, d.Quarter, V2.MuonGrid, [], x => TuneDirectory(arm, x), 0.2, 0.004);
        foreach (var b in new[] { d.One, d.Two })
            await batch.RunAsync(NewArmsDirectory(b), b.Name, b.Steps, V2.BaselineFor(b.Steps, b == d.One),
                [.. d.NewArms.SelectMany(a => d.Seeds(V3Design.FewSeeds).Select(s => Trial(a, Choices.Muon[a.Name],
                s)))]);
    }

    /// <summary>Each other width's Muon rates at its 1/4 × (tuned on the first call), then every other width's runs at
    /// <paramref name="multiple"/> × its compute-optimal budget.</summary>
    async Task WidthsAsync(double multiple)
    {
        var others = d.Widths.Where(w => w != V2.Width).ToList();
        foreach (int w in others)
            foreach (var arm in Pair(d.WidthArms(w)))
                if (!Choices.Muon.ContainsKey(arm.Name))
                    Choices.Muon[arm.Name] = await TuneAsync(arm, d.WidthBudget(w, 0.25), V2.MuonGrid,
                        [], x => TuneDirectory(arm, x), 0.2, 0.004);
        foreach (int w in others)
        {
            var b = d.WidthBudget(w, multiple);
            if (multiple > 1 && CutUnderTheLimit(w, b, multiple)) continue;
            await batch.RunAsync(WidthDirectory(w, b), b.Name, b.Steps, V2.BaselineFor(b.Steps, false),
                [.. Pair(d.WidthArms(w)).SelectMany(a => d.Seeds(V3Design.FewSeeds).Select(s => Trial(a,
                Choices.Muon[a.Name], s)))]);
        }
    }

    /// <summary>The plan's second cut (V3ComputeLimit): a width's runs above 1 × that have not started are weighed,
    /// before the first of them, against the hours left by the trials' clocks; if they do not fit, all of them are cut.
    /// A width whose runs have started (any record) carries on, so a later walk never re-decides on hours its own runs
    /// used.</summary>
    bool CutUnderTheLimit(int width, Budget b, double multiple)
    {
        if (new ResultStore(WidthDirectory(width, b)).ReadAll().Any()) return false;
        var trained = V3ComputeLimit.TrainedHere(root);
        double spent = V3ComputeLimit.HoursOf(trained);
        double oneTimes = V3ComputeLimit.HoursOf(V3ComputeLimit.TrainedHere(WidthDirectory(width,
            d.WidthBudget(width, 1))));
        var (fits, estimate) = V3ComputeLimit.Decide(spent, oneTimes, multiple);
        if (fits) return false;
        Choices.WidthCuts.Add((width, multiple, spent, oneTimes, estimate, trained.Max(t => t.FinishedUtc)));
        log($"Width {width} at {multiple:0} ×: {estimate:F2} h estimated ({multiple:0} × its 1 × runs' {oneTimes:F2} h) on top of {spent:F2} h spent exceeds the {V3ComputeLimit.Hours:0}-hour limit: cut whole (the plan's second cut; never fewer seeds).");
        return true;
    }

    static IEnumerable<Arm> Pair((Arm Dense, Arm Iso) p) => [p.Dense, p.Iso];

    /// <summary>5 seeds of each schedule and of constant rank at 1/4 ×, all with today's build. Departure: the plan's
    /// per-schedule rate checks (0.01 / 0.02 / 0.04) are its first cut under the 12-hour limit and are dropped, so
    /// every schedule runs at constant rank's 1/4 × rate, as the plan says for that case.</summary>
    async Task SchedulesAsync()
    {
        double constant = v2.Muon[d.LowRank.Name];
        foreach (var s in d.Schedules) Choices.ScheduleMuon[s.Arm.Name] = constant;
        var arms = d.Schedules.Select(s => (s.Arm, Rate: Choices.ScheduleMuon[s.Arm.Name])).Prepend((Arm: d.LowRank, Rate: constant));
        await batch.RunAsync(ScheduleReportedDirectory, d.Quarter.Name, d.Quarter.Steps, V2.BaselineFor(d.Quarter.Steps, false),
            [.. arms.SelectMany(a => d.Seeds(V3Design.ManySeeds).Select(s => Trial(a.Arm, a.Rate, s)))]);
    }
}
