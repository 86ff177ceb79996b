// How one trial is run: the extension point of LowRankExperiment.SetTrialRunner (AutoML's ITrialRunner). The built-in
// runner trains on the experiment's tokenized data in this process; another can load data its own way, or send the
// trial elsewhere, as long as it returns a TrialResult.
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

/// <summary>Everything a runner needs for one run of a trial.</summary>
public sealed class TrialContext
{
    /// <summary>The trial, and how far to train it this time.</summary>
    public required TrialSettings Settings { get; init; }

    /// <summary>The experiment's baseline options with its per-trial budget; the runner applies
    /// <see cref="TrialSettings.Parameters"/> to a copy (<see cref="TrialParameters.Apply"/>).</summary>
    public required LowRankLmTrainer.Options Baseline { get; init; }

    /// <summary>The checkpoint this trial's run continues from and writes (successive halving), or null. A runner that
    /// supports early stopping trains with <see cref="TrainingOptions.PauseAtStep"/> =
    /// <see cref="TrialSettings.PauseAtStep"/>, this checkpoint and Resume.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>This trial's TensorBoard run directory, or null.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Where to save the trained model (an ML.NET zip), or null to discard it.</summary>
    public string? ModelPath { get; init; }

    /// <summary>Training progress of this run, reported synchronously and in order to the experiment's
    /// monitors.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
}

/// <summary>Runs trials.</summary>
public interface ITrialRunner
{
    /// <summary>Trains and evaluates one trial (or one rung of it). A failure or divergence is a record (Failed,
    /// Diverged), not an exception; cancellation throws <see cref="OperationCanceledException"/> and the trial runs
    /// again next time.</summary>
    TrialResult Run(TrialContext context, CancellationToken cancellationToken);
}
