// One call of RunAsync as every search strategy sees it: the result store, the trial runner (made on first use), the
// monitors, the experiment's clock and budget, and the best trial (from every shard's records) with its model.
using Microsoft.ML.Runtime;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments.Search;

/// <summary>What a session is given by the experiment.</summary>
internal sealed record SessionSettings(
    ExperimentObjective Objective, Func<LowRankLmTrainer.Options, ITrialRunner> RunnerFor,
    IProgress<ExperimentProgress>? Progress,
    IMonitor? Monitor, TimeSpan? ExperimentBudget, string? ModelDirectory, bool KeepEveryModel, string? LogDirectory);

internal sealed class TrialSession
{
    readonly SessionSettings settings;
    readonly LowRankLmTrainer.Options budgeted;
    readonly IMonitor[] monitors;
    readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    ITrialRunner? runner;
    string? reportedBest;

    public TrialSession(ResultStore store, LowRankLmTrainer.Options budgeted, IChannel channel,
        SessionSettings settings)
    {
        Store = store;
        Channel = channel;
        this.budgeted = budgeted;
        this.settings = settings;
        var list = new List<IMonitor> { new LineMonitor(line => channel.Info(MessageSensitivity.None, line)) };
        if (settings.Progress is not null) list.Add(new ProgressMonitor(settings.Progress, () => (Done, Total)));
        if (settings.Monitor is not null) list.Add(settings.Monitor);
        monitors = list.ToArray();
        reportedBest = Objectives.Best(store.ReadAll(), settings.Objective)?.Id;
        if (store.Unreadable.Count > 0)
            channel.Warning(MessageSensitivity.None,
                $"{store.Unreadable.Count} trial record(s) in {store.TrialsDirectory} cannot be read " +
                $"(first: {Path.GetFileName(store.Unreadable[0].Path)}: {store.Unreadable[0].Reason}); those trials " +
                $"run again, and each damaged file is kept as <name>.json.corrupt.");
    }

    public ResultStore Store { get; }
    public IChannel Channel { get; }
    public ExperimentObjective Objective => settings.Objective;

    /// <summary>Trials done (or found done) and planned so far, for progress.</summary>
    public int Done { get; set; }
    public int Total { get; set; }

    /// <summary>True, said once in the log, when the experiment's time budget is spent.</summary>
    public bool BudgetSpent()
    {
        if (settings.ExperimentBudget is not TimeSpan limit || clock.Elapsed <= limit) return false;
        Channel.Info(MessageSensitivity.None, $"Experiment budget {limit} spent; what is left runs next time.");
        return true;
    }

    /// <summary>Tells the progress monitor that a trial already had a record.</summary>
    public void ReportSkipped(TrialSettings trial, TrialResult record) =>
        settings.Progress?.Report(new ExperimentProgress(trial.Index, trial.Id, TrialKey.Of(trial.Parameters), ++Done,
        Total, record, Skipped: true));

    /// <summary>Runs one trial (or rung) through the runner, with the monitors told as it goes.</summary>
    public TrialResult Execute(TrialSettings trial, string? checkpoint, CancellationToken ct)
    {
        runner ??= settings.RunnerFor(budgeted);
        foreach (var m in monitors) m.ReportRunningTrial(trial);
        string? modelPath = settings.ModelDirectory is null || trial.PauseAtStep is not null ? null
            : Path.Combine(settings.ModelDirectory, trial.Id + ".zip");
        var context = new TrialContext
        {
            Settings = trial, Baseline = budgeted, CheckpointPath = checkpoint, ModelPath = modelPath,
            LogDirectory = settings.LogDirectory is null ? null : Path.Combine(settings.LogDirectory, trial.Id),
            Progress = new SynchronousProgress<TrainingProgress>(p =>
            {
                foreach (var m in monitors) m.ReportTrialProgress(trial, p);
            }),
        };
        return runner.Run(context, ct);
    }

    /// <summary>Tells the monitors how a trial ended and, when the run directory's records (every shard's) now make it
    /// the best, says so and publishes its model as best.zip.</summary>
    public void Ended(TrialSettings trial, TrialResult result)
    {
        bool failed = result.Status is TrialStatus.Failed or TrialStatus.Diverged;
        foreach (var m in monitors)
            if (failed) m.ReportFailTrial(trial, result); else m.ReportCompletedTrial(trial, result);
        var best = Objectives.Best(Store.ReadAll(), settings.Objective);
        if (settings.ModelDirectory is { } dir)
            BestModel.Publish(dir, Store, settings.Objective, settings.KeepEveryModel);
        if (best?.Id != result.Id || best.Id == reportedBest) return;
        reportedBest = best.Id;
        foreach (var m in monitors) m.ReportBestTrial(best);
    }
}
