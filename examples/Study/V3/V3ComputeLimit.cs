// The plan's ≤ 12-hour limit on this machine (docs/study/v3/plan.md, "Compute"), counted by the trials' own clocks:
// what version 3 has spent so far, and the rule that decides, before a width's 2 × runs start, whether they fit. The
// plan's cuts are the schedules' rate checks first (already dropped), then the width ladder's 2 × budget — whole, never
// fewer seeds — so a width's 2 × runs either all run or are all cut, decided from records alone, so that the results
// page's read-only walk reaches the same decision as the run that made it.
using System.Globalization;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

public static class V3ComputeLimit
{
    /// <summary>The plan's limit on this machine's time for the whole of version 3.</summary>
    public const double Hours = 12;

    /// <summary>Every version-3 record trained in its own run directory (not copied from another, not
    /// failed).</summary>
    public static List<TrialResult> TrainedHere(string root) => !Directory.Exists(root) ? [] :
        [.. Directory.GetDirectories(root, "trials", SearchOption.AllDirectories)
            .SelectMany(t => new ResultStore(Path.GetDirectoryName(t)!).ReadAll())
            .Where(r => r.CopiedFrom is null && r.Status != TrialStatus.Failed)];

    /// <summary>Training plus periodic-evaluation hours of <paramref name="records"/> by their own clocks.</summary>
    public static double HoursOf(IEnumerable<TrialResult> records) =>
        records.Sum(t => t.TrainSeconds + t.EvalSeconds) / 3600;

    /// <summary>Wall time of the finished version-3 trials by the study's log (study.log beside the version-2 records):
    /// for each trial's result line, the time since the line before it (the trial's start: a phase header or the
    /// previous trial's result), so it includes start-up and the final evaluation the trials' clocks leave out. Version
    /// 3 begins at its first phase's header ("check: …"). Trials interrupted at a stop write no result line and are not
    /// counted. Null when the log is absent.</summary>
    public static (int Trials, double Hours)? WallHoursFromLog(string logPath)
    {
        if (!File.Exists(logPath)) return null;
        int trials = 0;
        double seconds = 0;
        DateTime? previous = null;
        bool started = false;
        foreach (var line in File.ReadLines(logPath))
        {
            if (line.Length < 20 || !DateTime.TryParseExact(line[..19], "yyyy-MM-dd HH:mm:ss",
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var at)) continue;
            started |= line.AsSpan(20).StartsWith("check: ", StringComparison.Ordinal);
            if (started && previous is DateTime p && line.Contains(": perplexity ",
                StringComparison.Ordinal)) { trials++; seconds += (at - p).TotalSeconds; }
            previous = at;
        }
        return (trials, seconds / 3600);
    }

    /// <summary>The estimate for a width's runs at <paramref name="multiple"/> × : the same arms and seeds took
    /// <paramref name="oneTimesHours"/> at 1 ×, and time grows with tokens (same shapes, same batch). They run only if
    /// <paramref name="spentHours"/> plus that estimate stays within the limit.</summary>
    public static (bool Fits, double EstimateHours) Decide(double spentHours, double oneTimesHours, double multiple)
    {
        if (oneTimesHours <= 0)
            throw new ArgumentException("The width's 1 × runs have no recorded time: they must finish before its 2 × " +
                "runs are weighed.", nameof(oneTimesHours));
        double estimate = oneTimesHours * multiple;
        return (spentHours + estimate <= Hours, estimate);
    }
}
