// Everything a sweep records about one trial: its configuration, its cost, its quality and its loss curve. Stored as
// one JSON file per trial in the run directory.
namespace MLNet.LowRank.Experiments;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Trained and evaluated.</summary>
    Completed,
    /// <summary>The loss became NaN/Inf or exceeded the divergence bound.</summary>
    Diverged,
    /// <summary>An exception (bad option combination, out of memory, …); see <see cref="TrialResult.Error"/>.</summary>
    Failed,
    /// <summary>A rung of successive halving: trained to <see cref="TrialResult.Steps"/> and paused, to be continued or
    /// stopped. Its metrics are the periodic validation at the pause (the subset periodic evaluations score).</summary>
    Paused,
    /// <summary>Stopped early by successive halving; the record of its last rung (metrics as for
    /// <see cref="Paused"/>).</summary>
    Stopped,
}

/// <summary>One point of a trial's loss curve.</summary>
public sealed record LossPoint(int Step, long Tokens, double TrainSeconds, double TrainLoss, double? ValidationLoss);

/// <summary>The record of one trial.</summary>
public sealed record TrialResult
{
    /// <summary>File id: "trial-007-…".</summary>
    public required string Id { get; init; }
    /// <summary>Position in the experiment's trial list.</summary>
    public required int Index { get; init; }
    /// <summary>The parameters the tuner chose (the rest are the baseline's).</summary>
    public required Dictionary<string, string> Parameters { get; init; }
    /// <summary>Every known option of the trial, for reports.</summary>
    public required Dictionary<string, string> Configuration { get; init; }
    public required TrialStatus Status { get; init; }
    public string? Error { get; init; }
    /// <summary>For a failed trial: true when the failure came from the machine rather than the configuration (out of
    /// memory, a full disk, an I/O error), so rerunning the sweep runs the trial again; a deterministic failure (a bad
    /// option combination) is final.</summary>
    public bool Transient { get; init; }

    public long TotalParameters { get; init; }
    public long NonEmbeddingParameters { get; init; }
    public long EmbeddingParameters { get; init; }
    public long HeadParameters { get; init; }
    public long AttentionParameters { get; init; }
    public long MlpParameters { get; init; }
    public int[] AttentionRanks { get; init; } = [];
    public int[] MlpRanks { get; init; } = [];
    public double FlopsPerToken { get; init; }

    /// <summary>Validation perplexity over the whole held-out set (null unless completed).</summary>
    public double? Perplexity { get; init; }
    public double? BitsPerByte { get; init; }
    public double? CrossEntropy { get; init; }
    /// <summary>Training seconds to the first evaluation at or below the threshold; null = not reached.</summary>
    public double? SecondsToThreshold { get; init; }
    public int? StepsToThreshold { get; init; }
    public long? TokensToThreshold { get; init; }
    public double? ThresholdPerplexity { get; init; }
    public double TokensPerSecond { get; init; }
    /// <summary>MPI ranks that trained the trial data-parallel (1: one process).</summary>
    public int DataParallelRanks { get; init; } = 1;
    /// <summary>Model FLOP utilisation against the machine's measured float32 matmul peak.</summary>
    public double Mfu { get; init; }
    public long PeakResidentBytes { get; init; }
    public long StateBytes { get; init; }
    public double TrainSeconds { get; init; }
    public double EvalSeconds { get; init; }
    public int Steps { get; init; }
    public long Tokens { get; init; }
    public List<LossPoint> LossCurve { get; init; } = [];
    public DateTime FinishedUtc { get; init; }
    /// <summary>For a trial copied from another run directory (<see cref="LowRankExperiment.SetReuse"/>): the source
    /// record, relative to this run directory; null for a trial trained here.</summary>
    public string? CopiedFrom { get; init; }
}
