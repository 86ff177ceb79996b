// LR multiplier (model-spec §1 "schedule"): optional linear warmup, constant, then linear warmdown over the last
// fraction of the run to FinalLrFraction. Progress is a fraction of the budget, so step, token and time budgets all
// work.
namespace MLNet.LowRank.Training;

/// <summary>Warmup–constant–warmdown learning-rate multiplier.</summary>
public sealed record LearningRateSchedule(int WarmupSteps, double WarmdownFraction, double FinalLrFraction)
{
    /// <summary>The multiplier at <paramref name="step"/> when <paramref name="progress"/> ∈ [0, 1] of the budget is
    /// spent.</summary>
    public double FactorAt(int step, double progress)
    {
        if (step < WarmupSteps) return (step + 1.0) / WarmupSteps;
        if (WarmdownFraction <= 0 || progress <= 1 - WarmdownFraction) return 1.0;
        double down = Math.Clamp((1 - progress) / WarmdownFraction, 0, 1);
        return FinalLrFraction + (1 - FinalLrFraction) * down;
    }
}
