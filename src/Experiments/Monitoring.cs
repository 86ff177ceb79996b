// What a running experiment tells its monitors, in order and from the thread that runs the trials (AutoML's IMonitor,
// plus progress): a trial starts, reports its training as it goes (tagged with the trial), completes or fails, and may
// become the best so far.
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

/// <summary>One run of a trial: which trial, and how far it trains this time.</summary>
/// <param name="Index">The trial's position in the experiment.</param>
/// <param name="Id">Its file id.</param>
/// <param name="Parameters">The parameters the tuner chose.</param>
public sealed record TrialSettings(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>Under successive halving, the rung this run trains to (0 = the first); null otherwise.</summary>
    public int? Rung { get; init; }

    /// <summary>The step this run stops at (the end of a rung); null = the trial's whole budget.</summary>
    public int? PauseAtStep { get; init; }

    /// <summary>"A=1;B=2".</summary>
    public string Key => TrialKey.Of(Parameters);

    public override string ToString() => $"trial {Index} {Key}" + (Rung is int r
        ? $" rung {r}" + (PauseAtStep is int p ? $" (to step {p})" : " (to the end)") : "");
}

/// <summary>Receives an experiment's events. Calls come in order, one at a time, from the thread that runs the trials:
/// a slow monitor slows the experiment.</summary>
public interface IMonitor
{
    /// <summary>A trial (or one rung of it) starts.</summary>
    void ReportRunningTrial(TrialSettings trial);

    /// <summary>The running trial's training made progress (every <see cref="TrainingOptions.ReportEvery"/>
    /// steps).</summary>
    void ReportTrialProgress(TrialSettings trial, TrainingProgress progress);

    /// <summary>A trial (or rung) ended with a usable result: Completed, Paused at a rung, or Stopped by successive
    /// halving.</summary>
    void ReportCompletedTrial(TrialSettings trial, TrialResult result);

    /// <summary>A trial failed or diverged; <paramref name="result"/> says how.</summary>
    void ReportFailTrial(TrialSettings trial, TrialResult result);

    /// <summary>A completed trial is the best so far by the experiment's objective.</summary>
    void ReportBestTrial(TrialResult result);
}

/// <summary>A monitor that does nothing; derive from it to handle only some events.</summary>
public class MonitorBase : IMonitor
{
    public virtual void ReportRunningTrial(TrialSettings trial) { }
    public virtual void ReportTrialProgress(TrialSettings trial, TrainingProgress progress) { }
    public virtual void ReportCompletedTrial(TrialSettings trial, TrialResult result) { }
    public virtual void ReportFailTrial(TrialSettings trial, TrialResult result) { }
    public virtual void ReportBestTrial(TrialResult result) { }
}

/// <summary>Every event as a line: what the experiment writes to ML.NET's log channel.</summary>
internal sealed class LineMonitor(Action<string> write) : IMonitor
{
    public void ReportRunningTrial(TrialSettings trial) => write($"{trial}: running");
    public void ReportTrialProgress(TrialSettings trial, TrainingProgress progress) => write($"{trial}: {progress}");
    public void ReportCompletedTrial(TrialSettings trial, TrialResult result) => write($"{trial}: {Describe(result)}");
    public void ReportFailTrial(TrialSettings trial,
        TrialResult result) => write($"{trial}: {result.Status} — {result.Error}");
    public void ReportBestTrial(TrialResult result) =>
        write($"best so far: trial {result.Index} {TrialKey.Of(result.Parameters)}");

    internal static string Describe(TrialResult r) => r.Status switch
    {
        TrialStatus.Completed => $"perplexity {r.Perplexity:F3}, {r.BitsPerByte:F4} bits/byte, {r.NonEmbeddingParameters:N0} non-embedding parameters, {r.TokensPerSecond:N0} tokens/s",
        TrialStatus.Paused => $"paused at step {r.Steps}: periodic validation perplexity {r.Perplexity:F3}",
        TrialStatus.Stopped => $"stopped by successive halving at step {r.Steps} (periodic validation " +
            $"perplexity {r.Perplexity:F3})",
        _ => $"{r.Status} — {r.Error}",
    };
}

/// <summary>Turns the events into the <see cref="ExperimentProgress"/> reports of
/// <c>SetMonitor(IProgress)</c>.</summary>
internal sealed class ProgressMonitor(IProgress<ExperimentProgress> progress,
    Func<(int Done, int Total)> counts) : MonitorBase
{
    public override void ReportRunningTrial(TrialSettings trial)
    {
        var (done, total) = counts();
        progress.Report(new ExperimentProgress(trial.Index, trial.Id, trial.Key, done, total, null,
            false) { Rung = trial.Rung });
    }

    public override void ReportCompletedTrial(TrialSettings trial, TrialResult result) => Ended(trial, result);
    public override void ReportFailTrial(TrialSettings trial, TrialResult result) => Ended(trial, result);

    void Ended(TrialSettings trial, TrialResult result)
    {
        var (done, total) = counts();
        progress.Report(new ExperimentProgress(trial.Index, trial.Id, trial.Key, done, total, result,
            false) { Rung = trial.Rung });
    }
}
