// What a training run reports: one record per step, progress snapshots, and the run's result.
namespace MLNet.LowRank.Training;

/// <summary>How a run ended.</summary>
public enum TrainingStatus
{
    /// <summary>The budget was spent.</summary>
    Completed,
    /// <summary>The loss or gradient norm became NaN or infinite, or the loss exceeded
    /// <see cref="TrainingOptions.DivergenceLoss"/>.</summary>
    Diverged,
    /// <summary>Stopped at <see cref="TrainingOptions.PauseAtStep"/> (evaluated and checkpointed) before the budget was
    /// spent; resuming continues the same run.</summary>
    Paused,
}

/// <summary>One training step.</summary>
/// <param name="Step">1-based count of steps done.</param>
/// <param name="Tokens">Training tokens seen so far.</param>
/// <param name="TrainSeconds">Training wall-clock so far, evaluation excluded.</param>
/// <param name="EvalSeconds">Evaluation wall-clock so far.</param>
/// <param name="TrainLoss">This step's training loss (nats/token).</param>
/// <param name="ValidationLoss">Periodic validation cross-entropy (on the EvalTokens subset) when this step evaluated,
/// else null.</param>
/// <param name="ValidationPerplexity">exp(ValidationLoss) when evaluated.</param>
/// <param name="ValidationBitsPerByte">Validation bits per byte when evaluated.</param>
/// <param name="LrFactor">Learning-rate multiplier used.</param>
/// <param name="TokensPerSecond">Training tokens per second over the run so far.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
public sealed record StepRecord(int Step, long Tokens, double TrainSeconds, double EvalSeconds, double TrainLoss,
    double? ValidationLoss, double? ValidationPerplexity, double? ValidationBitsPerByte, double LrFactor,
    double TokensPerSecond, double GradientNorm);

/// <summary>A progress snapshot for <see cref="IProgress{T}"/>.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Tokens">Tokens seen.</param>
/// <param name="TrainLoss">Latest training loss.</param>
/// <param name="ValidationLoss">Latest validation loss, if any.</param>
/// <param name="TokensPerSecond">Training throughput so far.</param>
/// <param name="Fraction">Fraction of the budget spent.</param>
/// <param name="Remaining">Estimated training time left.</param>
public sealed record TrainingProgress(int Step, long Tokens, double TrainLoss, double? ValidationLoss,
    double TokensPerSecond, double Fraction, TimeSpan Remaining)
{
    public override string ToString() =>
        $"step {Step} | {Tokens:N0} tokens | " +
        $"loss {TrainLoss:F4}{(ValidationLoss is { } v ? $" | val {v:F4}" : "")} | {TokensPerSecond:N0} tok/s " +
        $"| {Fraction:P0} | {Remaining:hh\\:mm\\:ss} left";
}

/// <summary>When validation perplexity first reached the threshold.</summary>
/// <param name="TrainSeconds">Training wall-clock to that evaluation (evaluation excluded).</param>
/// <param name="Step">Steps done at that evaluation.</param>
/// <param name="Tokens">Tokens seen at that evaluation.</param>
public sealed record ThresholdReached(double TrainSeconds, int Step, long Tokens);

/// <summary>The outcome of a training run.</summary>
public sealed record TrainingResult
{
    public required TrainingStatus Status { get; init; }
    /// <summary>Why the run stopped early, if it did.</summary>
    public string? Message { get; init; }
    public required IReadOnlyList<StepRecord> History { get; init; }
    /// <summary>The last periodic evaluation (at the run's end), on the <see cref="TrainingOptions.EvalTokens"/> subset
    /// of the validation documents; null without a validation set. It is the final metric only when EvalTokens is 0:
    /// the whole-set figure is <c>Evaluate(model.Transform(validation))</c>.</summary>
    public Evaluation.EvalResult? LastPeriodicValidation { get; init; }
    /// <summary>Null when no threshold was set or it was never reached.</summary>
    public ThresholdReached? TimeToThreshold { get; init; }
    public required double TrainSeconds { get; init; }
    public required double EvalSeconds { get; init; }
    public required long Tokens { get; init; }
    /// <summary>Tokens per second over the steps after the first (warm-up excluded).</summary>
    public required double TokensPerSecond { get; init; }
    /// <summary>Peak resident memory of the process sampled during training.</summary>
    public required long PeakResidentBytes { get; init; }
    /// <summary>Analytic bytes of parameters + gradients + optimizer state (float32).</summary>
    public required long StateBytes { get; init; }

    /// <summary>Processes that trained this run data-parallel (1: one process).</summary>
    public int DataParallelRanks { get; init; } = 1;
    /// <summary>Seconds this process spent in the gradient all-reduce (0 for one process).</summary>
    public double AllReduceSeconds { get; init; }

    /// <summary>Training options changed on a resume (<see cref="TrainingOptions.ResumeWithChangedOptions"/>), as
    /// "at step N: Name old → new; …"; empty for a run that is one uninterrupted run.</summary>
    public IReadOnlyList<string> OptionChanges { get; init; } = [];
}
