// How far each trial of a sweep trains: steps, tokens or seconds (any that are set; the first reached stops it). It is
// the baseline's MaxSteps, MaxTokens and MaxSeconds for every trial, so it is declared once, here, for the experiment
// (SetTrialBudget), its spec (trialSteps, trialTokens, trialSeconds) and its fingerprint ("trialBudget").
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

/// <summary>Each trial's budget; null members are unbounded, and at least one must be set.</summary>
public sealed record TrialBudget
{
    /// <param name="steps">Optimizer steps per trial.</param>
    /// <param name="tokens">Training tokens per trial (it stops at the first step that reaches them).</param>
    /// <param name="seconds">Training seconds per trial (evaluation excluded).</param>
    /// <exception cref="ArgumentException">None is set, or one is not positive; the message names the
    /// option.</exception>
    public TrialBudget(int? steps = null, long? tokens = null, double? seconds = null)
    {
        if (steps is null && tokens is null && seconds is null)
            throw new ArgumentException("A trial budget needs steps, tokens or seconds.");
        TrainingOptions.ValidateBudget(steps, tokens, seconds);
        (Steps, Tokens, Seconds) = (steps, tokens, seconds);
    }

    /// <summary>Optimizer steps per trial, or null.</summary>
    public int? Steps { get; }

    /// <summary>Training tokens per trial, or null.</summary>
    public long? Tokens { get; }

    /// <summary>Training seconds per trial, or null.</summary>
    public double? Seconds { get; }

    /// <summary><paramref name="training"/> with this budget in place of its own.</summary>
    public TrainingOptions ApplyTo(TrainingOptions training) => training with { MaxSteps = Steps, MaxTokens = Tokens,
        MaxSeconds = Seconds };

    /// <summary>The budget of <paramref name="training"/> as a run directory's fingerprint records it ("steps=4 tokens=
    /// seconds="); the text is part of every existing directory's identity and must not change.</summary>
    public static string Describe(TrainingOptions training) => $"steps={training.MaxSteps} tokens={training.MaxTokens} seconds={training.MaxSeconds}";
}
