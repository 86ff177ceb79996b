// A trial's options as a small map of invariant strings — easy to store, compare, shard and show. The names, values
// and what identifies a trial all come from the option table (Estimators/OptionTable.cs), which reads the options'
// declarations; this class is the experiment-side view of it.
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Experiments;

/// <summary>Reads and writes named trainer options as strings (see <see cref="OptionTable"/>).</summary>
public static class TrialParameters
{
    /// <summary>Every parameter name a search space may use.</summary>
    public static IReadOnlyCollection<string> Names => OptionTable.Names;

    /// <summary>True for a known name (case-insensitive).</summary>
    public static bool IsKnown(string name) => OptionTable.Find(name) is not null;

    /// <summary>The current value of <paramref name="name"/> in <paramref name="options"/>.</summary>
    public static string Get(LowRankLmTrainer.Options options, string name) => OptionTable.Get(name).Get(options);

    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/>; an unknown name or a bad value throws naming
    /// both.</summary>
    public static void Set(LowRankLmTrainer.Options options, string name,
        string value) => OptionTable.Get(name).Set(options, value);

    /// <summary>A copy of <paramref name="baseline"/> with <paramref name="parameters"/> applied (the baseline is not
    /// changed).</summary>
    public static LowRankLmTrainer.Options Apply(LowRankLmTrainer.Options baseline,
        IReadOnlyDictionary<string, string> parameters)
    {
        var o = baseline.Clone();
        foreach (var (name, value) in parameters) Set(o, name, value);
        return o;
    }


    /// <summary>Every option's value in <paramref name="options"/>: a trial's identity (run directories and
    /// <c>SetReuse</c> never mix trials trained differently).</summary>
    public static SortedDictionary<string, string> Describe(LowRankLmTrainer.Options options) =>
        OptionTable.Describe(options);

    /// <summary>A rank value: "dense", an integer, a fraction with a decimal point, or "Kind:a:b[:split]"
    /// (<see cref="RankSchedule.Parse"/>).</summary>
    public static RankSchedule? ParseRank(string value) => RankSchedule.Parse(value);
}
