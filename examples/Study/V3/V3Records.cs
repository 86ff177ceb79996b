// Version 3's trial records sorted into cells: arm → budget → seed → record, from version 3's run directories and the
// version-2 records the plan reuses (the core ladder at 1/4, 1 and 2 × unless the build check failed or the arm's rate
// moved; version 2's rank-32 and full-rank-factored runs at 1/4 × as lowrank-iso and full-rank-factored).
using System.Globalization;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Examples.Study.Statistics;

namespace MLNet.LowRank.Examples.Study;

public sealed class V3Records
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    static readonly string[] TrialKeys = [OptionNames.MatrixLearningRate, OptionNames.EmbeddingLearningRate,
        OptionNames.HeadLearningRate, OptionNames.Seed, OptionNames.DataSeed];

    readonly Dictionary<string, Dictionary<string, Dictionary<int, TrialResult>>> cells = [];

    /// <summary>Where each cell's records came from: "version 2" or "version 3", by (arm, budget).</summary>
    public Dictionary<(string Arm, string Budget), string> Source { get; } = [];

    public static V3Records Load(V3Design d, V3Phases phases, StudyRecords v2, V3Choices choices)
    {
        var r = new V3Records();
        var arms = d.Core.Concat(d.NewArms).Concat(d.Widths.SelectMany(w => new[] { d.WidthArms(w).Dense,
            d.WidthArms(w).Iso }))
            .Concat(d.Schedules.Select(s => s.Arm)).DistinctBy(a => a.Name).ToList();

        // Version 2's cells first; version 3's records of the same cell replace them.
        foreach (var b in new[] { d.Quarter, d.One, d.Two })
        {
            int index = d.V2Index(b)!.Value;
            foreach (var arm in d.Core)
                if (choices.ReuseV2 == true && (b == d.Quarter || !choices.Rerun.Contains(arm.Name)))
                    r.AddV2(arm.Name, b.Name, v2.ReportedRuns(arm.Name, index));
        }
        r.AddV2(d.LowRankIso.Name, d.Quarter.Name, v2.ReportedRuns("rank-32", StudyDesign.Middle));
        r.AddV2(d.FullRankFactored.Name, d.Quarter.Name, v2.ReportedRuns(d.FullRankFactored.Name, StudyDesign.Middle));

        foreach (var b in d.CoreBudgets)
        {
            r.AddV3(phases.CoreDirectory(b), b.Name, arms);
            r.AddV3(phases.NewArmsDirectory(b), b.Name, arms);
        }
        foreach (int w in d.Widths.Where(w => w != d.V2.Width))
            foreach (double m in new[] { 1.0, 2.0 })
                r.AddV3(phases.WidthDirectory(w, d.WidthBudget(w, m)), d.WidthBudget(w, m).Name, arms);
        r.AddV3(phases.ScheduleReportedDirectory, V3Schedules.Budget, arms);
        return r;
    }

    /// <summary>A copy whose cells at <paramref name="budget"/> are replaced by the records in
    /// <paramref name="directory"/> for every arm they hold (version 3's addendum: controls trained again at their
    /// re-tuned rate).</summary>
    public V3Records Replacing(string directory, string budget, IReadOnlyList<Arm> arms)
    {
        var copy = new V3Records();
        foreach (var (arm, byBudget) in cells)
            foreach (var (b, bySeed) in byBudget)
                foreach (var t in bySeed.Values) copy.Put(arm, b, t, Source[(arm, b)]);
        copy.AddV3(directory, budget, arms);
        return copy;
    }

    void AddV2(string arm, string budget, IEnumerable<TrialResult> records)
    {
        foreach (var t in records) Put(arm, budget, t, "version 2");
    }

    void AddV3(string directory, string budget, IReadOnlyList<Arm> arms)
    {
        if (!Directory.Exists(directory)) return;
        var fresh = new HashSet<string>();
        foreach (var t in new ResultStore(directory).ReadAll())
        {
            var arm = arms.FirstOrDefault(a => Matches(a, t));
            if (arm is null || t.Status == TrialStatus.Failed) continue;
            // The first version-3 record of a cell clears version 2's records there: a cell is never a mixture.
            if (fresh.Add(arm.Name) && cells.TryGetValue(arm.Name, out var byBudget)) byBudget.Remove(budget);
            Put(arm.Name, budget, t, "version 3");
        }
    }

    void Put(string arm, string budget, TrialResult t, string source)
    {
        var byBudget = cells.TryGetValue(arm, out var b) ? b : cells[arm] = [];
        var bySeed = byBudget.TryGetValue(budget, out var s) ? s : byBudget[budget] = [];
        bySeed[int.Parse(t.Parameters[OptionNames.Seed], Ci)] = t;
        Source[(arm, budget)] = source;
    }

    /// <summary>True when the record's model parameters are exactly the arm's (learning rates and seeds
    /// aside).</summary>
    public static bool Matches(Arm arm, TrialResult t)
    {
        var model = t.Parameters.Where(kv => !TrialKeys.Contains(kv.Key)).ToList();
        return model.Count == arm.Parameters.Count
            && model.All(kv => arm.Parameters.GetValueOrDefault(kv.Key) == kv.Value);
    }

    /// <summary>Final validation losses (nats per byte) of an arm's completed runs at a budget, by seed.</summary>
    public IReadOnlyDictionary<int, double> Losses(string arm, string budget) =>
        Runs(arm, budget).Where(t => t.Status == TrialStatus.Completed && t.CrossEntropy is not null)
            .ToDictionary(t => int.Parse(t.Parameters[OptionNames.Seed], Ci), t => t.CrossEntropy!.Value);

    /// <summary>The seed-paired difference <paramref name="a"/> − <paramref name="b"/> of final validation loss at a
    /// budget over the seeds both completed, with its t-interval and paired t-test; null with fewer than two common
    /// seeds.</summary>
    public Estimate? PairedGap(string a, string b, string budget)
    {
        var pairs = Pairs(a, b, budget);
        return pairs.Count < 2 ? null : Intervals.PairedDifference([.. pairs.Select(p => p.A)],
            [.. pairs.Select(p => p.B)]);
    }

    /// <summary>Each seed's <paramref name="a"/> − <paramref name="b"/> at a budget, over the seeds both completed, by
    /// seed.</summary>
    public IReadOnlyList<double> PairedDifferences(string a, string b,
        string budget) => [.. Pairs(a, b, budget).Select(p => p.A - p.B)];

    List<(double A, double B)> Pairs(string a, string b, string budget)
    {
        var la = Losses(a, budget);
        var lb = Losses(b, budget);
        return [.. la.Keys.Intersect(lb.Keys).Order().Select(s => (la[s], lb[s]))];
    }

    public IEnumerable<TrialResult> Runs(string arm, string budget) =>
        cells.TryGetValue(arm, out var b) && b.TryGetValue(budget, out var s) ? s.Values : [];
}
