// Early stopping for sweeps: successive halving, asynchronous across processes (ASHA; Li et al. 2020, "A System for
// Massively Parallel Hyperparameter Tuning"). Every candidate trains with its full budget's learning-rate schedule but
// pauses at rungs of r, rη, rη², … steps. A process first starts every candidate it may start (its shard's); then,
// whenever a rung holds a candidate in its best 1/η that has not gone on, that candidate continues to the next rung
// from its checkpoint. Starting before promoting departs from the paper's order (which promotes as soon as any rung
// allows): measured on an 18-candidate grid run by one process, promoting first let 15 of 18 candidates reach the
// second rung, because the best third of the first few results is a poor sample; starting first makes one process's run
// plain successive halving, while shards still promote asynchronously from whatever their rungs hold. A candidate that
// reaches the last rung has exactly the run a full grid would have given it (same seed, schedule and data order), so
// the best found is directly comparable with the grid's. Decisions read only the run directory, so shards of a job
// array share them.
using System.Globalization;

namespace MLNet.LowRank.Experiments;

/// <summary>Options of successive halving.</summary>
/// <param name="MinSteps">Steps of the first rung (r). Each later rung is η times longer; the last is the trial
/// budget.</param>
/// <param name="ReductionFactor">η: the best 1/η of a rung go on. Default 3.</param>
public sealed record SuccessiveHalvingOptions(int MinSteps, int ReductionFactor = 3)
{
    /// <summary>The rungs' end steps for a trial budget of <paramref name="maxSteps"/>: r, rη, … below it, then
    /// it.</summary>
    public IReadOnlyList<int> Rungs(int maxSteps)
    {
        if (MinSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(MinSteps), MinSteps, "MinSteps must be at least 1.");
        if (ReductionFactor < 2)
            throw new ArgumentOutOfRangeException(nameof(ReductionFactor),
                ReductionFactor, "ReductionFactor (η) must be at least 2.");
        if (MinSteps >= maxSteps)
            throw new ArgumentOutOfRangeException(nameof(MinSteps),
                MinSteps, $"MinSteps {MinSteps} must be below the trial budget of {maxSteps} steps, or nothing would " +
                $"stop early.");
        var rungs = new List<int>();
        for (long r = MinSteps; r < maxSteps; r *= ReductionFactor) rungs.Add((int)r);
        rungs.Add(maxSteps);
        return rungs;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"successive halving (first rung {MinSteps} steps, η = {ReductionFactor})");
}

/// <summary>What successive halving did: rungs, runs per rung, and the steps it trained against a full
/// grid's.</summary>
/// <param name="Rungs">The rungs' end steps.</param>
/// <param name="CandidatesPerRung">How many candidates reached each rung.</param>
/// <param name="StepsTrained">Training steps over every run of every candidate.</param>
/// <param name="FullGridSteps">Steps if every candidate had trained to the last rung.</param>
public sealed record EarlyStoppingSummary(IReadOnlyList<int> Rungs, IReadOnlyList<int> CandidatesPerRung,
    long StepsTrained, long FullGridSteps)
{
    /// <summary><see cref="StepsTrained"/> ÷ <see cref="FullGridSteps"/>.</summary>
    public double ComputeFraction => FullGridSteps == 0 ? 0 : (double)StepsTrained / FullGridSteps;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rungs {string.Join("/", Rungs)} steps with {string.Join("/", CandidatesPerRung)} candidates; {StepsTrained:N0} steps trained, {ComputeFraction:P0} of a full grid's {FullGridSteps:N0}");
}

/// <summary>ASHA's decision: which candidate trains to which rung next.</summary>
internal static class SuccessiveHalving
{
    /// <summary>The next run: the first candidate not started, else the best promotable candidate of the highest rung
    /// that has one; null when neither exists (everything is done, or the rest is running elsewhere).</summary>
    /// <param name="candidates">Candidate ids in the tuner's order.</param>
    /// <param name="loss">Validation loss of each (candidate, rung) that ended; failed or diverged runs are +∞.</param>
    /// <param name="busy">(candidate, rung) runs under way in some process.</param>
    public static (string Id, int Rung)? Next(IReadOnlyList<string> candidates, int rungCount, int eta,
        IReadOnlyDictionary<(string Id, int Rung), double> loss, IReadOnlySet<(string Id, int Rung)> busy)
    {
        foreach (var c in candidates)
            if (!loss.ContainsKey((c, 0)) && !busy.Contains((c, 0)))
                return (c, 0);
        for (int k = rungCount - 2; k >= 0; k--)
        {
            var ranked = candidates.Where(c => loss.ContainsKey((c, k))).OrderBy(c => loss[(c,
                k)]).ThenBy(c => IndexOf(candidates, c)).ToList();
            foreach (var c in ranked.Take(ranked.Count / eta))
                if (double.IsFinite(loss[(c, k)]) && !loss.ContainsKey((c, k + 1)) && !busy.Contains((c, k + 1)))
                    return (c, k + 1);
        }
        return null;
    }

    static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == item) return i;
        return -1;
    }
}
