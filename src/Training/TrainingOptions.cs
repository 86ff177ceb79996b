// Everything the training loop takes besides the model and data (model-spec §1 "optimizers", "schedule"; §4).
// Every default is the spec's; Validate names an invalid option and its allowed range before any work starts.
using static MLNet.LowRank.Common.OptionCheck;

using Microsoft.ML.SearchSpace;

namespace MLNet.LowRank.Training;

/// <summary>Options of <see cref="TrainingLoop"/>.</summary>
public sealed record TrainingOptions
{
    /// <summary>Sequences per micro-batch (tokens per micro-batch = BatchSize × SequenceLength). Default 8.</summary>
    [Choice(new object[] { 4, 8, 16, 32, 64, 128 }, 8)]
    public int BatchSize { get; init; } = 8;

    /// <summary>Micro-batches whose gradients are averaged into one optimizer step, so a step sees
    /// BatchSize × GradientAccumulationSteps sequences without holding their activations at once (a larger step also
    /// amortises Muon's per-step cost). Default 1.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Stop after this many steps. At least one of MaxSteps, MaxTokens, MaxSeconds is required.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Stop after this many training tokens.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>Stop after this much training wall-clock (evaluation excluded).</summary>
    public double? MaxSeconds { get; init; }

    /// <summary>Which optimizer updates which parameters. Default <see cref="Optimizers.MuonAdamW"/>.</summary>
    public IOptimizerFactory Optimizer { get; init; } = Optimizers.MuonAdamW;

    /// <summary>Muon LR for the block matrices. Default 0.02.</summary>
    [Range(1e-4, 1.0, 0.02, true)]
    public double MatrixLearningRate { get; init; } = 0.02;

    /// <summary>AdamW LR for block matrices when <see cref="Optimizers.AdamW"/> trains everything. Default
    /// 0.003.</summary>
    [Range(1e-5, 0.1, 0.003, true)]
    public double AdamMatrixLearningRate { get; init; } = 0.003;

    /// <summary>AdamW LR of wte before the (dim/768)^−0.5 scaling. Default 0.2.</summary>
    [Range(1e-3, 10.0, 0.2, true)]
    public double EmbeddingLearningRate { get; init; } = 0.2;

    /// <summary>AdamW LR of lm_head before the (dim/768)^−0.5 scaling. Default 0.004.</summary>
    [Range(1e-4, 1.0, 0.004, true)]
    public double HeadLearningRate { get; init; } = 0.004;

    /// <summary>AdamW LR of vector parameters in the blocks (the FactoredDiagonal D). Default 0.004.</summary>
    public double VectorLearningRate { get; init; } = 0.004;

    /// <summary>Muon's Nesterov momentum after the ramp. Default 0.95.</summary>
    [Range(0.8, 0.99, 0.95, false)]
    public double MuonMomentum { get; init; } = 0.95;

    /// <summary>Muon's momentum at step 0, ramped linearly to <see cref="MuonMomentum"/>. Default 0.85.</summary>
    public double MuonMomentumStart { get; init; } = 0.85;

    /// <summary>Steps of the momentum ramp. Default 300.</summary>
    public int MuonMomentumWarmupSteps { get; init; } = 300;

    /// <summary>Newton–Schulz iterations. Default 5.</summary>
    public int NewtonSchulzSteps { get; init; } = 5;

    /// <summary>AdamW β1. Default 0.8.</summary>
    [Range(0.5, 0.99, 0.8, false)]
    public double AdamBeta1 { get; init; } = 0.8;

    /// <summary>AdamW β2. Default 0.95.</summary>
    [Range(0.9, 0.9999, 0.95, false)]
    public double AdamBeta2 { get; init; } = 0.95;

    /// <summary>AdamW ε. Default 1e-10.</summary>
    public double AdamEpsilon { get; init; } = 1e-10;

    /// <summary>AdamW decoupled weight decay. Default 0.</summary>
    [Range(0.0, 0.3, 0.0, false)]
    public double WeightDecay { get; init; }

    /// <summary>Linear warmup steps. Default 0.</summary>
    [Range(0, 2000, 0, false)]
    public int WarmupSteps { get; init; }

    /// <summary>Fraction of the budget spent in the final linear warmdown. Default 0.2.</summary>
    [Range(0.0, 1.0, 0.2, false)]
    public double WarmdownFraction { get; init; } = 0.2;

    /// <summary>LR multiplier at the end of the warmdown. Default 0.</summary>
    public double FinalLrFraction { get; init; }

    /// <summary>Global gradient-norm clip; 0 disables. Default 1.0.</summary>
    [Range(0.0, 10.0, 1.0, false)]
    public double GradientClip { get; init; } = 1.0;

    /// <summary>λ of the Frobenius decay λ·Σ‖U V‖²_F over factored layers; 0 disables. Default 0.</summary>
    [Range(0.0, 0.1, 0.0, false)]
    public double FrobeniusDecay { get; init; }

    /// <summary>Evaluate on the validation stream every this many steps (and at the end); 0 = only at the end. Default
    /// 100.</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Validation tokens per periodic evaluation: a fixed subset of whole documents spread evenly over the
    /// validation set, scored by the final metric's definition (<see cref="Evaluation.ValidationDocuments"/>); 0 =
    /// every document, so the periodic figure equals the final one. Default 65,536.</summary>
    public int EvalTokens { get; init; } = 65_536;

    /// <summary>Validation perplexity that counts as "reached" for time-to-threshold; null = not measured.</summary>
    public double? ThresholdPerplexity { get; init; }

    /// <summary>Seed of the data order (which sequences each step sees). Null = the initialisation seed (the trainer
    /// stage's <c>Seed</c>; 1 when <see cref="TrainingLoop"/> is called directly). Set it to pair runs of different
    /// initialisations (or arms) on one data order, so paired differences cancel the data noise. Default
    /// null.</summary>
    [NullText("seed")]
    public int? DataSeed { get; init; }

    /// <summary>Torch intra-op threads; null leaves torch's default. Default null.</summary>
    [RunSetting]
    public int? Threads { get; init; }

    /// <summary>Data-parallel training over the MPI world this process was launched in (mpirun -n N, srun -n N): each
    /// of the N ranks computes the gradient of its BatchSize/N rows of every global batch, the gradients are averaged
    /// over the ranks, and every rank applies the same update — the same run as one process with batch BatchSize. Null
    /// (the default) follows the launcher: on under mpirun/srun with more than one rank, off otherwise; true requires
    /// an MPI world; false trains alone even when launched by MPI. Not part of a run's identity.</summary>
    [RunSetting]
    public bool? DataParallel { get; init; }

    /// <summary>Training stops as diverged when the loss is NaN, infinite, or above this absolute value. Default
    /// 100.</summary>
    public double DivergenceLoss { get; init; } = 100;

    /// <summary>Training also stops as diverged when the loss exceeds ln V (a uniform guess over the vocabulary) by
    /// this many nats — e^5 ≈ 150 × the uniform perplexity. Default 5.</summary>
    public double DivergenceMargin { get; init; } = 5;

    /// <summary>Progress reports every this many steps. Default 10.</summary>
    [RunSetting]
    public int ReportEvery { get; init; } = 10;

    /// <summary>Checkpoint file (model, optimizer state, schedule and data position, history); null = no
    /// checkpoints.</summary>
    [RunSetting]
    public string? CheckpointPath { get; init; }

    /// <summary>Write a checkpoint every this many steps (and at the end, and when cancelled); 0 = only then. Default
    /// 100.</summary>
    [RunSetting]
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>Also write one when this many training seconds passed since the last; 0 = no time trigger. Default
    /// 300.</summary>
    [RunSetting]
    public double CheckpointEverySeconds { get; init; } = 300;

    /// <summary>Continue from <see cref="CheckpointPath"/> if it exists (it must come from the same model, data and
    /// options); the result is identical to an uninterrupted run. Without it, an existing checkpoint file is refused
    /// rather than overwritten. Default false.</summary>
    [RunSetting]
    public bool Resume { get; init; }

    /// <summary>With <see cref="Resume"/>: continue a checkpoint written with other training options (a lower learning
    /// rate after a divergence, say) — the model, the data and the optimizer set-up must still match. The changes are
    /// logged and recorded in <see cref="TrainingResult.OptionChanges"/> and in every later checkpoint; the run is then
    /// no longer identical to an uninterrupted one. Default false: such a checkpoint is refused.</summary>
    [RunSetting]
    public bool ResumeWithChangedOptions { get; init; }

    /// <summary>Stop once this many steps are done, with status <see cref="TrainingStatus.Paused"/>: evaluate (when
    /// there is a validation set) and write the checkpoint, without changing the learning-rate schedule, which still
    /// runs to the budget. Resuming with a larger value, or none, continues the same run — what successive halving
    /// needs to stop a trial early or carry it on. Null = run to the budget. Default null.</summary>
    [RunSetting]
    public int? PauseAtStep { get; init; }

    /// <summary>Where the loop reads time: the system clock. Tests substitute a clock they advance themselves, so time
    /// budgets and time to threshold are checked exactly, whatever else the machine is doing. Internal: not an option,
    /// never swept, serialised or fingerprinted.</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The LR schedule these options describe.</summary>
    public LearningRateSchedule Schedule => new(WarmupSteps, WarmdownFraction, FinalLrFraction);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its allowed range.</summary>
    public void Validate()
    {
        Require(BatchSize is >= 1 and <= MaxBatchSize, nameof(BatchSize),
            BatchSize, $"must be in 1 … {MaxBatchSize:N0}");
        Require(GradientAccumulationSteps is >= 1 and <= MaxBatchSize, nameof(GradientAccumulationSteps),
            GradientAccumulationSteps, $"must be in 1 … {MaxBatchSize:N0}");
        ValidateBudget(MaxSteps, MaxTokens, MaxSeconds);
        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
        Positive(MatrixLearningRate, nameof(MatrixLearningRate));
        Positive(AdamMatrixLearningRate, nameof(AdamMatrixLearningRate));
        Positive(EmbeddingLearningRate, nameof(EmbeddingLearningRate));
        Positive(HeadLearningRate, nameof(HeadLearningRate));
        Positive(VectorLearningRate, nameof(VectorLearningRate));
        Fraction(MuonMomentum, nameof(MuonMomentum));
        Fraction(MuonMomentumStart, nameof(MuonMomentumStart));
        Require(MuonMomentumWarmupSteps >= 0, nameof(MuonMomentumWarmupSteps), MuonMomentumWarmupSteps, "must be ≥ 0");
        Require(NewtonSchulzSteps >= 1, nameof(NewtonSchulzSteps), NewtonSchulzSteps, "must be at least 1");
        Fraction(AdamBeta1, nameof(AdamBeta1));
        Fraction(AdamBeta2, nameof(AdamBeta2));
        Require(AdamEpsilon > 0, nameof(AdamEpsilon), AdamEpsilon, "must be positive");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be ≥ 0");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, "must be ≥ 0");
        Require(WarmdownFraction is >= 0 and <= 1, nameof(WarmdownFraction), WarmdownFraction, "must be in [0, 1]");
        Require(FinalLrFraction is >= 0 and <= 1, nameof(FinalLrFraction), FinalLrFraction, "must be in [0, 1]");
        Require(GradientClip >= 0, nameof(GradientClip), GradientClip, "must be ≥ 0 (0 disables)");
        Require(FrobeniusDecay >= 0, nameof(FrobeniusDecay), FrobeniusDecay, "must be ≥ 0 (0 disables)");
        Require(EvalEvery >= 0, nameof(EvalEvery), EvalEvery, "must be ≥ 0 (0 = only at the end)");
        Require(EvalTokens >= 0, nameof(EvalTokens), EvalTokens, "must be ≥ 0 (0 = the whole validation set)");
        Require(ThresholdPerplexity is null || ThresholdPerplexity > 1, nameof(ThresholdPerplexity),
            ThresholdPerplexity!, "must be greater than 1");
        Require(Threads is null or (>= 1 and <= Runtime.ThreadPolicy.MaxThreads), nameof(Threads),
            Threads!, $"must be in 1 … {Runtime.ThreadPolicy.MaxThreads:N0}");
        Require(DivergenceLoss > 0, nameof(DivergenceLoss), DivergenceLoss, "must be positive");
        Require(DivergenceMargin > 0, nameof(DivergenceMargin), DivergenceMargin, "must be positive (nats above ln V)");
        Require(ReportEvery >= 1, nameof(ReportEvery), ReportEvery, "must be at least 1");
        Require(CheckpointEverySteps >= 0, nameof(CheckpointEverySteps),
            CheckpointEverySteps, "must be ≥ 0 (0 = only at the end and when cancelled)");
        Require(CheckpointEverySeconds >= 0, nameof(CheckpointEverySeconds),
            CheckpointEverySeconds, "must be ≥ 0 (0 = no time trigger)");
        Require(!Resume || CheckpointPath is not null, nameof(Resume),
            Resume, "needs CheckpointPath: the file to resume from");
        Require(PauseAtStep is null or >= 1, nameof(PauseAtStep), PauseAtStep!, "must be at least 1");
    }

    /// <summary>The one check of a training budget, shared by these options, an experiment's per-trial budget and the
    /// CLI's and sweep configs' budget flags: at least one of steps, tokens, seconds; each at least 1 step or token, or
    /// a positive, finite number of seconds. Throws <see cref="ArgumentOutOfRangeException"/> naming the
    /// option.</summary>
    public static void ValidateBudget(int? steps, long? tokens, double? seconds)
    {
        Require(steps is not null || tokens is not null || seconds is not null, nameof(MaxSteps), "none",
            "or MaxTokens or MaxSeconds must be set: training needs a budget");
        Require(steps is null or >= 1, nameof(MaxSteps), steps!, "must be at least 1");
        Require(tokens is null or >= 1, nameof(MaxTokens), tokens!, "must be at least 1");
        Require(seconds is null || (seconds > 0 && double.IsFinite(seconds.Value)), nameof(MaxSeconds),
            seconds!, "must be a positive, finite number of seconds");
    }

    /// <summary>The largest BatchSize (and GradientAccumulationSteps).</summary>
    public const int MaxBatchSize = 1 << 20;

    /// <summary>The most tokens one micro-batch may hold (BatchSize × SequenceLength): beyond it the activations cannot
    /// fit.</summary>
    public const long MaxTokensPerMicroBatch = 1L << 22;

    /// <summary>Throws when a micro-batch of <paramref name="sequenceLength"/>-token sequences is too large to
    /// train.</summary>
    public void ValidateFor(int sequenceLength) =>
        Require((long)BatchSize * sequenceLength <= MaxTokensPerMicroBatch, nameof(BatchSize), BatchSize,
            $"× SequenceLength = {sequenceLength:N0} must be at most {MaxTokensPerMicroBatch:N0} tokens per " +
        $"micro-batch: lower BatchSize or SequenceLength, or raise GradientAccumulationSteps");

    static void Positive(double value, string option) =>
        Require(value > 0 && double.IsFinite(value), option, value, "must be a positive, finite learning rate");

    static void Fraction(double value, string option) => Require(value is >= 0 and < 1, option,
        value, "must be in [0, 1)");
}
