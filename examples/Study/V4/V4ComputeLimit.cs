// The plan's 16-hour limit on this machine (docs/study/v4/plan.md, "Compute"): hours spent are half the sum of the
// version-4 trials' own clocks (two streams), plus 5 % for start-up and final evaluation; what is left is estimated at
// the quiet benchmark's two-process speeds. Before stages 2 and 3 the rule cuts, in the plan's order and each whole,
// `deep-16`, then `lowrank-iso`, then the 16 × low-side checks, until the estimate fits. The first process to reach a
// decision writes it to cuts.json (created exclusively), so every later walk — the other stream, a resumed sitting, the
// results page — follows the decision as it was made rather than re-deciding on hours spent since.
using System.Text.Json;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

/// <summary>A decision before a stage: what was cut, on what figures.</summary>
public sealed record V4Cut(string Stage, DateTime DecidedUtc, double SpentHours, double EstimateHours,
    IReadOnlyList<string> Cut);

public static class V4ComputeLimit
{
    public const double Hours = 16;

    /// <summary>Tokens/s of one of two one-thread processes at once (docs/study/v4/bench.md, median of 6), by
    /// arm.</summary>
    static readonly Dictionary<string, double> PairSpeed = new()
    {
        ["dense"] = 19_579,
        ["deep"] = 11_609,
        ["lowrank-iso"] = 19_701,
        ["deep-16"] = 6_009,
    };
    /// <summary>Seconds per trial for start-up, periodic and final evaluation (the plan's estimate), by arm.</summary>
    static readonly Dictionary<string, double> Overhead = new()
    {
        ["dense"] = 35,
        ["deep"] = 55,
        ["lowrank-iso"] = 35,
        ["deep-16"] = 100,
    };

    /// <summary>Machine hours spent by the version-4 trials under <paramref name="root"/>.</summary>
    public static double SpentHours(string root) =>
        V3ComputeLimit.HoursOf(V3ComputeLimit.TrainedHere(root)) / 2 * 1.05;

    /// <summary>Machine hours the trials of <paramref name="jobs"/> not yet recorded will take on two
    /// streams.</summary>
    public static double EstimateHours(V4Design d, IEnumerable<BatchJob> jobs)
    {
        double seconds = 0;
        foreach (var job in jobs)
        {
            var done = TrialBatch.Match(Directory.Exists(job.Directory) ? new ResultStore(job.Directory).ReadAll()
                : [], job.Trials);
            foreach (var (trial, record) in job.Trials.Zip(done))
            {
                if (record is not null) continue;
                string arm = d.All.First(a => a.Parameters.All(kv => trial.GetValueOrDefault(kv.Key) == kv.Value)).Name;
                seconds += (double)job.Steps * d.V2.BatchSize * d.V2.SequenceLength / PairSpeed[arm] + Overhead[arm];
            }
        }
        return seconds / 3600 / 2;
    }

    static string FileOf(string root, string stage) => Path.Combine(root, $"cut-before-{stage}.json");

    /// <summary>Every decision made so far, in stage order.</summary>
    public static List<V4Cut> Read(string root) => !Directory.Exists(root) ? [] :
        [.. Directory.GetFiles(root, "cut-before-*.json").Order(StringComparer.Ordinal)
            .Select(f => JsonSerializer.Deserialize<V4Cut>(File.ReadAllText(f))!)];

    /// <summary>The decision before <paramref name="stage"/>: the one recorded, or (unless <paramref name="readOnly"/>)
    /// a new one — the candidates cut in order while spent + the estimate of <paramref name="remaining"/> passes the
    /// limit.</summary>
    public static V4Cut? Decide(string root, string stage, bool readOnly, IReadOnlyList<string> candidates,
        Func<IReadOnlySet<string>, IEnumerable<BatchJob>> remaining, V4Design d)
    {
        string path = FileOf(root, stage);
        if (File.Exists(path)) return JsonSerializer.Deserialize<V4Cut>(File.ReadAllText(path));
        if (readOnly) return null;
        double spent = SpentHours(root);
        var cut = new HashSet<string>();
        double estimate = EstimateHours(d, remaining(cut));
        foreach (var candidate in candidates)
        {
            if (spent + estimate <= Hours) break;
            cut.Add(candidate);
            estimate = EstimateHours(d, remaining(cut));
        }
        var decision = new V4Cut(stage, DateTime.UtcNow, spent, estimate, [.. candidates.Where(cut.Contains)]);
        // Written once, by whichever stream gets there first (a move that never replaces); the other reads that one.
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary,
            JsonSerializer.Serialize(decision, new JsonSerializerOptions { WriteIndented = true }));
        try { File.Move(temporary, path, overwrite: false); }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return JsonSerializer.Deserialize<V4Cut>(File.ReadAllText(path));
        }
        return decision;
    }
}
