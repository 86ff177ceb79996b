// What a running experiment reports: each trial as it starts and ends.
namespace MLNet.LowRank.Experiments;

/// <summary>A progress event of <see cref="LowRankExperiment.RunAsync"/>.</summary>
/// <param name="TrialIndex">The trial's position in the experiment.</param>
/// <param name="TrialId">Its file id.</param>
/// <param name="Parameters">Its parameters as "A=1;B=2".</param>
/// <param name="Done">Trials of this shard finished so far (including skipped ones).</param>
/// <param name="Total">Trials of this shard.</param>
/// <param name="Result">The record when the trial ended; null when it starts.</param>
/// <param name="Skipped">True when the run directory already had the trial.</param>
public sealed record ExperimentProgress(int TrialIndex, string TrialId, string Parameters, int Done, int Total,
    TrialResult? Result, bool Skipped)
{
    /// <summary>Under successive halving, the rung this run trains to (0 = the first); null otherwise.</summary>
    public int? Rung { get; init; }

    public override string ToString()
    {
        string trial = $"[{Done}/{Total}] trial {TrialIndex} {Parameters}" + (Rung is int k ? $" rung {k}" : "");
        return Result switch
        {
            null => $"{trial}: running",
            _ when Skipped => $"{trial}: already done ({Result.Status})",
            var r => $"{trial}: {LineMonitor.Describe(r)}",
        };
    }
}
