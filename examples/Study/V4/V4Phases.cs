// Version 4's run order (docs/study/v4/plan.md), in three stages; within a stage the trials do not depend on each
// other, so two processes walking the same stages split them (claims) and wait only at a stage's end:
//   1. tune-1x: each arm's Muon rate at 1 × on the tuning seed, the grid extended until its best is interior;
//   2. the 4 × checks of dense and deep (the 1 × choice and its two neighbours), the ladder's 4 × low-side checks, the
//      ladder's 4 × reported seeds and the core's 1 × reported seeds;
//   3. the core's 16 × reported seeds and low-side checks and its 4 × reported seeds, all at the 4 × choice.
// Longest trials first within a stage, so the two streams end it together. Each list is an experiment in its own run
// directory under docs/study/v4, so a re-run skips every finished trial; with a read-only batch the same walk trains
// nothing and stops at the first unfinished stage (what the results page does).
using MLNet.LowRank.Experiments;
using static MLNet.LowRank.Examples.Study.TrialBatch;

namespace MLNet.LowRank.Examples.Study;

/// <summary>Everything version 4 decides from its records, filled in stage by stage.</summary>
public sealed class V4Choices
{
    /// <summary>Each arm's Muon rate at 1 × (tuned there).</summary>
    public Dictionary<string, double> Muon1 { get; } = [];
    /// <summary>The core arms' Muon rate at 4 × (checked there; it serves 4 and 16 ×).</summary>
    public Dictionary<string, double> Muon4 { get; } = [];
    /// <summary>Every tuning trial: (arm, budget, rate, final validation loss or null when it did not
    /// complete).</summary>
    public List<(string Arm, string Budget, double Rate, double? Loss)> Tuning { get; } = [];
    /// <summary>The stages finished, in order: "tune-1x", "stage-2", "stage-3".</summary>
    public List<string> Finished { get; } = [];
    /// <summary>The compute-limit decisions made before stages 2 and 3.</summary>
    public List<V4Cut> Cuts { get; } = [];
    /// <summary>The first run directory whose trials have not all finished (read-only walks), or null.</summary>
    public string? WaitingFor { get; set; }
    /// <summary>Machine hours the plan's trials not yet recorded will take on two streams at the quiet benchmark's
    /// speeds (<see cref="V4ComputeLimit.EstimateHours"/>), once tuning at 1 × has finished; before stage 3 its trials
    /// are counted at the 1 × rates, and any extension of the 4 × checks is not counted.</summary>
    public double? RemainingHours { get; set; }
}

public sealed class V4Phases(TrialBatch batch, V4Design d, string root)
{
    public V4Choices Choices { get; } = new();

    public string TuneDirectory(Arm arm, int extension = 0) => Path.Combine(root, "tune-1x",
        extension == 0 ? arm.Name : $"{arm.Name}-x{extension}");
    public string CheckDirectory(Arm arm, int extension = 0) => Path.Combine(root, "check-4x",
        extension == 0 ? arm.Name : $"{arm.Name}-x{extension}");
    public string LowSideDirectory(Budget b) => Path.Combine(root, "low-side", $"budget-{b.Name}");
    public string ReportedDirectory(Budget b, bool ladder = false) => Path.Combine(root,
        ladder ? "ladder" : "core", $"budget-{b.Name}");

    /// <summary>Embedding and head rates of every trial: version 2's choices, kept by versions 3 and 4.</summary>
    public const double Embedding = 0.4, Head = 0.008;

    public static Dictionary<string, string> Trial(Arm arm, double muon, int seed) => With(arm.Parameters, muon,
        Embedding, Head, seed);

    /// <summary>The names a compute cut can remove, in the plan's order.</summary>
    public const string LowSide16 = "16 × low-side checks";

    /// <summary>Cut decisions so far (whole arms or the 16 × low-side checks).</summary>
    public HashSet<string> Cut { get; } = [];

    bool Kept(Arm arm) => !Cut.Contains(arm.Name);

    /// <summary>Stage 2's lists: the 4 × checks first (stage 3 waits on them alone), then the longest trials.</summary>
    IReadOnlyList<BatchJob> Stage2(IReadOnlySet<string> cut)
    {
        var ladder = d.Ladder.Where(a => !cut.Contains(a.Name)).OrderByDescending(a => d.FlopsPerToken(a)).ToList();
        var jobs = d.Core.Select(a => Job(CheckDirectory(a), d.Four,
            [.. V3Design.Around(Choices.Muon1[a.Name]).Select(lr => Trial(a, lr, StudyDesign.TuningSeed))])).ToList();
        if (ladder.Count > 0)
        {
            jobs.Add(Job(ReportedDirectory(d.Four, ladder: true), d.Four,
                [.. ladder.SelectMany(a => d.Seeds(a).Select(s => Trial(a, Choices.Muon1[a.Name], s)))]));
            jobs.Add(Job(LowSideDirectory(d.Four), d.Four,
                [.. ladder.Select(a => Trial(a, Choices.Muon1[a.Name] / 2, StudyDesign.TuningSeed))]));
        }
        jobs.Add(Job(ReportedDirectory(d.One), d.One,
            [.. d.Core.OrderByDescending(a => d.FlopsPerToken(a)).SelectMany(a => d.Seeds(a).Select(s => Trial(a,
            Choices.Muon1[a.Name], s)))]));
        return jobs;
    }

    /// <summary>Stage 3's lists at the core arms' 4 × rates (their 1 × rates stand in for an estimate made before stage
    /// 2).</summary>
    IReadOnlyList<BatchJob> Stage3(IReadOnlySet<string> cut, IReadOnlyDictionary<string, double> rate)
    {
        var core = d.Core.OrderByDescending(a => d.FlopsPerToken(a)).ToList();
        var jobs = new List<BatchJob>
        {
            Job(ReportedDirectory(d.Sixteen), d.Sixteen,
                [.. core.SelectMany(a => d.Seeds(a).Select(s => Trial(a, rate[a.Name], s)))]),
        };
        if (!cut.Contains(LowSide16))
            jobs.Add(Job(LowSideDirectory(d.Sixteen), d.Sixteen,
                [.. core.Select(a => Trial(a, rate[a.Name] / 2, StudyDesign.TuningSeed))]));
        jobs.Add(Job(ReportedDirectory(d.Four), d.Four,
            [.. core.SelectMany(a => d.Seeds(a).Select(s => Trial(a, rate[a.Name], s)))]));
        return jobs;
    }

    BatchJob Job(string directory, Budget b, IReadOnlyList<Dictionary<string, string>> trials) =>
        new(directory, b.Name, b.Steps, d.V2.BaselineFor(b.Steps, denseEvaluation: b == d.One), trials);

    /// <summary>The plan's cut rule before a stage (V4ComputeLimit); false when a read-only walk finds no decision
    /// yet.</summary>
    bool Limit(string stage, IReadOnlyList<string> candidates,
        Func<IReadOnlySet<string>, IEnumerable<BatchJob>> remaining)
    {
        var decision = V4ComputeLimit.Decide(root, stage, batch.ReadOnly,
            candidates, cut => remaining(cut.Concat(Cut).ToHashSet()), d);
        if (decision is null) return false;
        Cut.UnionWith(decision.Cut);
        Choices.Cuts.Add(decision);
        return true;
    }

    public async Task<V4Choices> RunAsync()
    {
        try
        {
            await TuneAsync(d.All, d.One, arm => d.MuonGrid, TuneDirectory, Choices.Muon1, d.MaxGridExtensions);
            Choices.Finished.Add("tune-1x");

            if (!Limit("stage-2",
                [d.Deep16.Name, d.LowRankIso.Name, LowSide16], cut => Stage2(cut).Concat(Stage3(cut, Choices.Muon1))))
                throw new PhaseNotFinishedException(Path.Combine(root, "stage-2"), 1);
            var stage2 = Stage2(Cut);
            var done = await batch.RunAllAsync(stage2);
            // The 4 × rate: the best of the three checks, extended (own directory) while it is at an edge.
            var seeded = d.Core.Select((a, i) => (a, done[i])).ToDictionary(x => x.a.Name, x => x.Item2);
            await TuneAsync(d.Core, d.Four, _ => [], CheckDirectory, Choices.Muon4, extensions: 2, seeded);
            Choices.Finished.Add("stage-2");

            if (!Limit("stage-3", [LowSide16], cut => Stage3(cut, Choices.Muon4)))
                throw new PhaseNotFinishedException(Path.Combine(root, "stage-3"), 1);
            await batch.RunAllAsync(Stage3(Cut, Choices.Muon4));
            Choices.Finished.Add("stage-3");
        }
        catch (PhaseNotFinishedException e)
        {
            Choices.WaitingFor = Path.GetRelativePath(root, e.Directory).Replace('\\', '/');
            if (Choices.Finished.Contains("tune-1x"))
                Choices.RemainingHours = V4ComputeLimit.EstimateHours(d, Choices.Finished.Contains("stage-2")
                    ? Stage3(Cut, Choices.Muon4) : Stage2(Cut).Concat(Stage3(Cut, Choices.Muon1)));
        }
        return Choices;
    }

    /// <summary>For each arm, the rate with the lowest final validation loss on the tuning seed at <paramref name="b"/>
    /// over its grid (and <paramref name="seeded"/> records); while an arm's best is at an edge, one more point beyond
    /// it (its own directory), every arm's extension run together, up to <paramref name="extensions"/>
    /// rounds.</summary>
    async Task TuneAsync(IReadOnlyList<Arm> arms, Budget b, Func<Arm, IReadOnlyList<double>> grid,
        Func<Arm, int, string> directory,
        Dictionary<string, double> chosen, int extensions,
        IReadOnlyDictionary<string, IReadOnlyList<TrialResult>>? seeded = null)
    {
        var baseline = d.V2.BaselineFor(b.Steps, false);
        var records = arms.ToDictionary(a => a.Name, a => seeded?.GetValueOrDefault(a.Name)?.ToList() ?? []);
        var first = arms.Where(a => grid(a).Count > 0)
            .Select(a => new BatchJob(directory(a, 0), b.Name, b.Steps, baseline,
            [.. grid(a).Select(lr => Trial(a, lr, StudyDesign.TuningSeed))])).ToList();
        var results = await batch.RunAllAsync(first);
        for (int i = 0; i < first.Count; i++) records[arms.First(a => directory(a,
            0) == first[i].Directory).Name].AddRange(results[i]);
        for (int extension = 1; extension <= extensions; extension++)
        {
            var next = new List<(Arm Arm, BatchJob Job)>();
            foreach (var arm in arms)
            {
                var tried = records[arm.Name].Select(r => Value(r, OptionNames.MatrixLearningRate)).ToList();
                double best = Best(records[arm.Name]);
                double? rate = best == tried.Min() ? best / 2 : best == tried.Max() ? best * 2 : null;
                if (rate is double lr)
                    next.Add((arm,
                        new BatchJob(directory(arm, extension), b.Name, b.Steps, baseline,
                        [Trial(arm, lr, StudyDesign.TuningSeed)])));
            }
            if (next.Count == 0) break;
            var more = await batch.RunAllAsync([.. next.Select(n => n.Job)]);
            for (int i = 0; i < next.Count; i++) records[next[i].Arm.Name].AddRange(more[i]);
        }
        foreach (var arm in arms)
        {
            chosen[arm.Name] = Best(records[arm.Name]);
            Choices.Tuning.AddRange(records[arm.Name].Select(r => (arm.Name, b.Name,
                Value(r, OptionNames.MatrixLearningRate), r.Status == TrialStatus.Completed ? r.CrossEntropy : null))
                .OrderBy(t => t.Item3));
        }
    }
}
