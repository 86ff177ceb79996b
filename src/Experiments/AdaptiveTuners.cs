// Tuners that learn from results (AutoML's ITuner: Propose, then Update with what the trial gave). They run in one
// process, one trial after another; a resumed experiment replays its recorded trials through Update in order, so a
// seeded tuner proposes exactly the trials it proposed before. The fixed-list tuners (Tuners) serve job arrays.
using System.Globalization;

namespace MLNet.LowRank.Experiments;

/// <summary>Proposes each next trial from the results so far.</summary>
public interface IAdaptiveTuner
{
    /// <summary>A short description (part of the run directory's fingerprint).</summary>
    string Describe();

    /// <summary>The next trial's parameters, or null when the search is over.</summary>
    IReadOnlyDictionary<string, string>? Propose(SearchSpace space);

    /// <summary>Learns from a finished trial; <paramref name="objective"/> is its value (lower is better), null when it
    /// has none (failed, diverged, or the threshold was not reached).</summary>
    void Update(TrialResult result, double? objective);
}

/// <summary>Built-in adaptive tuners.</summary>
public static class AdaptiveTuners
{
    /// <summary>Seeded random starts, then local search around the best trial so far: each proposal moves one parameter
    /// of the incumbent to a neighbouring value (the next or previous choice; a range value scaled up or down, the step
    /// shrinking as the search narrows). Never proposes a configuration twice. <paramref name="trials"/> proposals in
    /// all.</summary>
    public static IAdaptiveTuner LocalSearch(int trials, int randomStarts = 4,
        int seed = 0) => new LocalSearchTuner(trials, randomStarts, seed);

    sealed class LocalSearchTuner : IAdaptiveTuner
    {
        readonly int trials, randomStarts, seed;
        readonly Random rng;
        readonly HashSet<string> proposed = [];
        IReadOnlyDictionary<string, string>? best;
        double bestValue = double.PositiveInfinity;
        int proposals, sinceImprovement;

        public LocalSearchTuner(int trials, int randomStarts, int seed)
        {
            if (trials < 1)
                throw new ArgumentOutOfRangeException(nameof(trials), trials, "LocalSearch needs at least one trial.");
            if (randomStarts < 1)
                throw new ArgumentOutOfRangeException(nameof(randomStarts),
                    randomStarts, "LocalSearch needs at least one random start.");
            (this.trials, this.randomStarts, this.seed) = (trials, randomStarts, seed);
            rng = new Random(seed);
        }

        public string Describe() => $"local search ({trials} trials, {randomStarts} random starts, seed {seed})";

        public IReadOnlyDictionary<string, string>? Propose(SearchSpace space)
        {
            if (space.Dimensions.Count == 0)
                throw new ArgumentException("LocalSearch needs a search space with at least one parameter.");
            for (int attempt = 0; proposals < trials && attempt < 200; attempt++)
            {
                var candidate = best is null || proposals < randomStarts ? RandomPoint(space) : Neighbour(space, best);
                if (!proposed.Add(TrialKey.Of(candidate))) continue;
                proposals++;
                return candidate;
            }
            return null; // the budget is spent, or the neighbourhood is exhausted
        }

        public void Update(TrialResult result, double? objective)
        {
            proposed.Add(TrialKey.Of(result.Parameters));
            if (objective is double v && v < bestValue)
            {
                (best, bestValue, sinceImprovement) = (result.Parameters, v, 0);
            }
            else sinceImprovement++;
        }

        Dictionary<string, string> RandomPoint(SearchSpace space) =>
            space.Dimensions.ToDictionary(d => d.Name,
            d => d.IsRange ? Format(d, Draw(d.Min, d.Max, d.LogScale)) : d.Choices[rng.Next(d.Choices.Count)]);

        Dictionary<string, string> Neighbour(SearchSpace space, IReadOnlyDictionary<string, string> center)
        {
            var point = space.Dimensions.ToDictionary(d => d.Name,
                d => center.TryGetValue(d.Name, out var v) ? v : d.IsRange ? Format(d, d.Min) : d.Choices[0]);
            var d = space.Dimensions[rng.Next(space.Dimensions.Count)];
            int direction = rng.Next(2) == 0 ? -1 : 1;
            if (!d.IsRange)
            {
                int i = Math.Max(0, d.Choices.ToList().IndexOf(point[d.Name]));
                point[d.Name] = d.Choices[Math.Clamp(i + direction, 0, d.Choices.Count - 1)];
            }
            else
            {
                // Steps shrink as trials pass without improvement: ×2 at first, towards ×1.1.
                double x = double.Parse(point[d.Name], CultureInfo.InvariantCulture);
                double factor = 1 + Math.Max(0.1, 1.0 / (1 + sinceImprovement / 2.0));
                double moved = d.LogScale ? (direction > 0 ? x * factor : x / factor)
                    : x + direction * (factor - 1) * (d.Max - d.Min) / 4;
                point[d.Name] = Format(d, Math.Clamp(moved, d.Min, d.Max));
            }
            return point;
        }

        double Draw(double min, double max, bool log)
        {
            double u = rng.NextDouble();
            return log ? Math.Exp(Math.Log(min) + u * (Math.Log(max) - Math.Log(min))) : min + u * (max - min);
        }

        static string Format(SearchDimension d, double v) =>
            d.Integer ? ((long)Math.Round(v)).ToString(CultureInfo.InvariantCulture) : v.ToString("G4",
            CultureInfo.InvariantCulture);
    }
}
