// The study's trial records, read back from its run directories and sorted into the cells the analysis needs:
// reported runs by (arm, budget, seed), and tuning runs by arm.
using System.Globalization;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

public sealed class StudyRecords
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>arm → budget → seed → completed or diverged record.</summary>
    public Dictionary<string, Dictionary<int, Dictionary<int, TrialResult>>> Reported { get; } = [];

    /// <summary>arm → its middle-budget tuning records (grid and extensions), and the confirmation records.</summary>
    public Dictionary<string, List<TrialResult>> Tuning { get; } = [];
    public Dictionary<string, List<TrialResult>> Confirmation { get; } = [];
    public List<TrialResult> EmbeddingHead { get; } = [];

    public int Count { get; private set; }
    public DateTime? First { get; private set; }
    public DateTime? Last { get; private set; }

    /// <summary>The training split's size in byte-level tokens (one per UTF-8 byte, plus each document's BOS), from
    /// what a run directory's identity says it trained on ("N documents, C characters #hash"). The Brown corpus is
    /// ASCII, so its bytes are its characters: 5,342,584 + 448 = 5,343,032 tokens, what the study computed from the
    /// split itself before its pages were written from the records alone.</summary>
    public static long TrainingTokens(string runDirectory)
    {
        string described = new ResultStore(runDirectory).ReadFingerprint()?.GetValueOrDefault("data.train")
            ?? throw new InvalidOperationException($"{runDirectory} does not record what it trained on (data.train).");
        var m = System.Text.RegularExpressions.Regex.Match(described, @"^([\d,]+) documents, ([\d,]+) characters");
        if (!m.Success)
            throw new InvalidOperationException($"{runDirectory}: data.train is '{described}', not 'N documents, C " +
                $"characters'.");
        long Number(int g) => long.Parse(m.Groups[g].Value, System.Globalization.NumberStyles.AllowThousands,
            System.Globalization.CultureInfo.InvariantCulture);
        return Number(2) + Number(1);
    }

    public static StudyRecords Load(StudyDesign design, Phases phases)
    {
        var r = new StudyRecords();
        var arms = design.TunedArms.ToList();
        foreach (var arm in arms)
        {
            var list = new List<TrialResult>();
            for (int x = 0; x <= design.MaxGridExtensions; x++) list.AddRange(r.Read(phases.TuneDirectory(arm, x)));
            r.Tuning[arm.Name] = list;
        }
        r.EmbeddingHead.AddRange(r.Read(phases.EmbeddingHeadDirectory));
        foreach (var arm in new[] { design.Dense,
            design.LowRank }) r.Confirmation[arm.Name] = r.Read(phases.ConfirmDirectory(arm)).ToList();
        for (int budget = 0; budget < design.BudgetSteps.Count; budget++)
            foreach (var t in r.Read(phases.ReportedDirectory(budget)))
            {
                var arm =
                    arms.FirstOrDefault(a =>
                    a.Parameters.All(kv => t.Parameters.GetValueOrDefault(kv.Key) == kv.Value));
                if (arm is null || t.Status == TrialStatus.Failed) continue;
                int seed = int.Parse(t.Parameters[OptionNames.Seed], Ci);
                var byBudget = r.Reported.TryGetValue(arm.Name, out var b) ? b : r.Reported[arm.Name] = [];
                var bySeed = byBudget.TryGetValue(budget, out var s) ? s : byBudget[budget] = [];
                bySeed[seed] = t;
            }
        return r;
    }

    IReadOnlyList<TrialResult> Read(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var records = new ResultStore(directory).ReadAll();
        Count += records.Count;
        foreach (var t in records)
        {
            if (First is null || t.FinishedUtc < First) First = t.FinishedUtc;
            if (Last is null || t.FinishedUtc > Last) Last = t.FinishedUtc;
        }
        return records;
    }

    /// <summary>Final validation losses (nats per byte) of an arm's completed reported runs at a budget, by
    /// seed.</summary>
    public IReadOnlyDictionary<int, double> Losses(string arm, int budget) =>
        Reported.TryGetValue(arm, out var b) && b.TryGetValue(budget, out var s)
            ? s.Where(kv => kv.Value.Status == TrialStatus.Completed
        && kv.Value.CrossEntropy is not null).ToDictionary(kv => kv.Key, kv => kv.Value.CrossEntropy!.Value)
            : new Dictionary<int, double>();

    public IEnumerable<TrialResult> ReportedRuns(string arm, int budget) =>
        Reported.TryGetValue(arm, out var b) && b.TryGetValue(budget, out var s) ? s.Values : [];
}
