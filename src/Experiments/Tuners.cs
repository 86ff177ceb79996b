// How a sweep chooses its trials from the search space. Each tuner gives the whole, deterministic list up front, so
// shards of a batch-job array agree on it and a re-run knows which trials are done.
using System.Globalization;

namespace MLNet.LowRank.Experiments;

/// <summary>Chooses the trials of an experiment.</summary>
public interface ITuner
{
    /// <summary>A short description (part of the run directory's fingerprint).</summary>
    string Describe();

    /// <summary>The trials' parameters, in run order.</summary>
    IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(SearchSpace space);
}

/// <summary>The built-in tuners.</summary>
public static class Tuners
{
    /// <summary>Every combination of every dimension's choices.</summary>
    public static ITuner Grid() => new GridTuner();

    /// <summary><paramref name="count"/> distinct draws, uniform over choices and ranges, from a seeded
    /// generator.</summary>
    public static ITuner Random(int count, int seed = 0) => new RandomTuner(count, seed);

    /// <summary>The baseline, then each parameter's other values one at a time with the rest at the baseline (the
    /// plan's first scans). <paramref name="baseline"/> gives each parameter's baseline value; by default its first
    /// choice.</summary>
    public static ITuner OneAtATime(IReadOnlyDictionary<string, string>? baseline = null) =>
        new OneAtATimeTuner(baseline);

    /// <summary>Exactly these trials.</summary>
    public static ITuner Explicit(IEnumerable<IReadOnlyDictionary<string, string>> trials) =>
        new ExplicitTuner(trials.ToList());

    static void RequireChoices(SearchSpace space, string tuner)
    {
        if (space.Dimensions.FirstOrDefault(d => d.IsRange) is { } range)
            throw new ArgumentException($"{tuner} needs a list of values for every parameter; '{range.Name}' is a " +
                $"range. Use random search, or Add values.");
    }

    sealed class GridTuner : ITuner
    {
        public string Describe() => "grid";

        public IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(SearchSpace space)
        {
            RequireChoices(space, "Grid search");
            IEnumerable<Dictionary<string, string>> combos = [new Dictionary<string, string>()];
            foreach (var d in space.Dimensions)
                combos = combos.SelectMany(c =>
                    d.Choices.Select(v => new Dictionary<string, string>(c) { [d.Name] = v })).ToList();
            return combos.ToList();
        }
    }

    sealed class RandomTuner(int count, int seed) : ITuner
    {
        public string Describe() => $"random({count}, seed {seed})";

        public IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(SearchSpace space)
        {
            if (count < 1)
                throw new ArgumentOutOfRangeException(nameof(count), count, "Random search needs at least one trial.");
            var rng = new System.Random(seed);
            var trials = new List<IReadOnlyDictionary<string, string>>();
            var seen = new HashSet<string>();
            for (int attempt = 0; trials.Count < count && attempt < count * 100; attempt++)
            {
                var t = space.Dimensions.ToDictionary(d => d.Name, d => Draw(d, rng));
                if (seen.Add(TrialKey.Of(t))) trials.Add(t);
            }
            return trials;
        }

        static string Draw(SearchDimension d, System.Random rng)
        {
            if (!d.IsRange) return d.Choices[rng.Next(d.Choices.Count)];
            double u = rng.NextDouble();
            double v = d.LogScale ? Math.Exp(Math.Log(d.Min) + u * (Math.Log(d.Max) - Math.Log(d.Min)))
                : d.Min + u * (d.Max - d.Min);
            return d.Integer ? ((long)Math.Round(v)).ToString(CultureInfo.InvariantCulture) : v.ToString("G6",
                CultureInfo.InvariantCulture);
        }
    }

    sealed class OneAtATimeTuner(IReadOnlyDictionary<string, string>? baseline) : ITuner
    {
        public string Describe() => "one-at-a-time" + (baseline is null ? "" : $" around {TrialKey.Of(baseline)}");

        public IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(SearchSpace space)
        {
            RequireChoices(space, "A one-at-a-time scan");
            var center = space.Dimensions.ToDictionary(d => d.Name,
                d => baseline is not null && baseline.TryGetValue(d.Name, out var b) ? b : d.Choices[0]);
            var trials = new List<IReadOnlyDictionary<string, string>> { center };
            foreach (var d in space.Dimensions)
                foreach (var v in d.Choices.Where(v => v != center[d.Name]))
                    trials.Add(new Dictionary<string, string>(center) { [d.Name] = v });
            return trials;
        }
    }

    sealed class ExplicitTuner(List<IReadOnlyDictionary<string, string>> trials) : ITuner
    {
        public string Describe() => "explicit: " + string.Join(" | ", trials.Select(TrialKey.Of));
        public IReadOnlyList<IReadOnlyDictionary<string, string>> Trials(SearchSpace space) => trials;
    }
}

/// <summary>Canonical identity of a trial configuration.</summary>
public static partial class TrialKey
{
    /// <summary>"A=1;B=x", names sorted ordinally.</summary>
    public static string Of(IReadOnlyDictionary<string, string> parameters) =>
        string.Join(";", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A file-system-safe id: a readable prefix and a stable hash.</summary>
    public static string FileId(int index, IReadOnlyDictionary<string, string> parameters)
    {
        return $"trial-{index:D3}-{Common.StableHash.Fnv1a(Of(parameters)):x16}";
    }

    /// <summary>True when <paramref name="id"/> has the form <see cref="FileId"/> makes (trial-NNN-&lt;16 hex
    /// digits&gt;): the only ids a run directory's files are named by. An id read from a file (a record, best.json)
    /// must pass this before it names a path, so a forged record cannot make a sweep read, copy or delete a file
    /// outside its directory.</summary>
    public static bool IsFileId(string? id) => id is not null && FileIdPattern().IsMatch(id);

    /// <summary>Throws unless <paramref name="id"/> is a trial file id.</summary>
    public static string CheckFileId(string id) => IsFileId(id) ? id
        : throw new ArgumentException($"'{id}' is not a trial id (trial-NNN-<16 hex digits>); trial ids name files " +
        $"in the run directory, so no other form is used.", nameof(id));

    [System.Text.RegularExpressions.GeneratedRegex("^trial-[0-9]{3,9}-[0-9a-f]{16}$")]
    private static partial System.Text.RegularExpressions.Regex FileIdPattern();
}
