// What "best" means for an experiment: validation perplexity (default), bits per byte, or the cost to reach the
// threshold perplexity. Lower is better for all four; a trial without the figure (not completed, threshold not reached)
// is never the best.
namespace MLNet.LowRank.Experiments;

/// <summary>The figure an experiment minimises.</summary>
public enum ExperimentObjective
{
    /// <summary>Validation perplexity over the whole held-out set.</summary>
    Perplexity,
    /// <summary>Validation bits per byte (compares across tokenizers).</summary>
    BitsPerByte,
    /// <summary>Training seconds to the threshold perplexity (set ThresholdPerplexity in the baseline).</summary>
    SecondsToThreshold,
    /// <summary>Training tokens to the threshold perplexity.</summary>
    TokensToThreshold,
}

/// <summary>Reads an objective off a trial record.</summary>
public static class Objectives
{
    /// <summary>The value of <paramref name="objective"/> for <paramref name="trial"/>, or null when it has none (the
    /// trial did not complete, or never reached the threshold).</summary>
    public static double? Value(TrialResult trial,
        ExperimentObjective objective) => trial.Status != TrialStatus.Completed ? null : objective switch
    {
        ExperimentObjective.Perplexity => trial.Perplexity,
        ExperimentObjective.BitsPerByte => trial.BitsPerByte,
        ExperimentObjective.SecondsToThreshold => trial.SecondsToThreshold,
        ExperimentObjective.TokensToThreshold => trial.TokensToThreshold,
        _ => throw new ArgumentOutOfRangeException(nameof(objective), objective, null),
    };

    /// <summary>The trial with the lowest value, ties to the earlier index; null when none has one.</summary>
    public static TrialResult? Best(IEnumerable<TrialResult> trials, ExperimentObjective objective) =>
        trials.Where(t => Value(t, objective) is not null).OrderBy(t => Value(t,
        objective)).ThenBy(t => t.Index).FirstOrDefault();
}

/// <summary>What <see cref="LowRankExperiment.RunAsync"/> returns: every trial record in the run directory (all
/// shards), the best by the objective, and, under successive halving, the compute it used.</summary>
public sealed class ExperimentResult : IReadOnlyList<TrialResult>
{
    internal ExperimentResult(IReadOnlyList<TrialResult> trials, ExperimentObjective objective,
        EarlyStoppingSummary? earlyStopping)
    {
        Trials = trials;
        Objective = objective;
        BestTrial = Objectives.Best(trials, objective);
        EarlyStopping = earlyStopping;
    }

    /// <summary>Every trial record, by index.</summary>
    public IReadOnlyList<TrialResult> Trials { get; }

    /// <summary>The objective <see cref="BestTrial"/> minimises.</summary>
    public ExperimentObjective Objective { get; }

    /// <summary>The completed trial with the lowest objective; null when none completed (or none reached the
    /// threshold).</summary>
    public TrialResult? BestTrial { get; }

    /// <summary>Successive halving's rungs and the compute they used; null when the experiment did not stop
    /// early.</summary>
    public EarlyStoppingSummary? EarlyStopping { get; }

    public TrialResult this[int index] => Trials[index];
    public int Count => Trials.Count;
    public IEnumerator<TrialResult> GetEnumerator() => Trials.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
