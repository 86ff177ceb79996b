// What a sweep varies: named trainer options (TrialParameters) with the values to try — a list of choices, or a
// numeric range for random search. Mirrors ML.NET AutoML's SearchSpace in spirit, with string values underneath.
using System.Globalization;
using System.Text.Json;
namespace MLNet.LowRank.Experiments;

/// <summary>One dimension of a search space.</summary>
/// <param name="Name">A <see cref="TrialParameters"/> name.</param>
/// <param name="Choices">Values to try (grid, one-at-a-time, random); empty for a range.</param>
/// <param name="Min">Range minimum (random search only).</param>
/// <param name="Max">Range maximum.</param>
/// <param name="LogScale">Sample the range uniformly in log space.</param>
/// <param name="Integer">Round sampled values to integers.</param>
public sealed record SearchDimension(string Name, IReadOnlyList<string> Choices, double Min = 0, double Max = 0,
    bool LogScale = false, bool Integer = false)
{
    /// <summary>True for a numeric range rather than a list of choices.</summary>
    public bool IsRange => Choices.Count == 0;
}

/// <summary>The parameters a sweep varies.</summary>
public sealed class SearchSpace
{
    readonly List<SearchDimension> dimensions = [];

    /// <summary>The dimensions in the order added.</summary>
    public IReadOnlyList<SearchDimension> Dimensions => dimensions;

    /// <summary>Adds a parameter with a list of values (numbers in invariant culture).</summary>
    public SearchSpace Add<T>(string name, params T[] values)
    {
        Check(name);
        if (values.Length == 0)
            throw new ArgumentException($"Parameter {name}: give at least one value.", nameof(values));
        var texts = values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToList();
        if (texts.Distinct().Count() != texts.Count)
            throw new ArgumentException($"Parameter {name}: values repeat ({string.Join(", ", texts)}).",
                nameof(values));
        dimensions.Add(new SearchDimension(name, texts));
        return this;
    }

    /// <summary>Adds a numeric range for random search.</summary>
    public SearchSpace AddRange(string name, double min, double max, bool logScale = false, bool integer = false)
    {
        Check(name);
        if (!(min < max) || (logScale && min <= 0))
            throw new ArgumentException($"Parameter {name}: range [{min}, {max}] must have min < max (and min > 0 on " +
                $"a log scale).");
        dimensions.Add(new SearchDimension(name, [], min, max, logScale, integer));
        return this;
    }

    /// <summary>Adds an option with the range or choices its declaration's <c>[Range]</c> / <c>[Choice]</c> attribute
    /// gives (<see cref="Estimators.OptionTable"/>): e.g. MatrixLearningRate, a log range 1e-4 … 1.</summary>
    /// <exception cref="ArgumentException">The option is unknown or has no such attribute; give its values with Add or
    /// AddRange.</exception>
    public SearchSpace AddDefault(string name)
    {
        var option = Estimators.OptionTable.Get(name);
        return option.DefaultRange switch
        {
            Microsoft.ML.SearchSpace.ChoiceAttribute choice => Add(option.Name,
                choice.Candidates.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture)!).ToArray()),
            Microsoft.ML.SearchSpace.RangeAttribute range => AddRange(option.Name,
                Convert.ToDouble(range.Min, CultureInfo.InvariantCulture),
                Convert.ToDouble(range.Max, CultureInfo.InvariantCulture),
                range.LogBase, integer: range.Min is int),
            _ => throw new ArgumentException($"Option '{option.Name}' has no default range ([Range] or [Choice] " +
                $"attribute); give its values with Add or AddRange.", nameof(name)),
        };
    }

    void Check(string name)
    {
        if (!TrialParameters.IsKnown(name))
            throw new ArgumentException($"Unknown parameter " +
                $"'{name}'{Common.Suggest.Closest(name, TrialParameters.Names)}. " +
                $"Known: {string.Join(", ", TrialParameters.Names)}.", nameof(name));
        if (dimensions.Any(d => d.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"Parameter {name} is already in the search space.", nameof(name));
    }

    /// <summary>A search space from a class whose properties carry ML.NET's <c>[Choice]</c>, <c>[Range]</c> or
    /// <c>[BooleanChoice]</c> attributes (Microsoft.ML.SearchSpace); property names are trainer option names. The
    /// attributes' default (or init) values become <paramref name="baseline"/>, for
    /// <see cref="Tuners.OneAtATime"/>.</summary>
    public static SearchSpace FromAttributes<T>(out IReadOnlyDictionary<string, string> baseline)
    {
        var space = new SearchSpace();
        var defaults = new Dictionary<string, string>();
        foreach (var property in typeof(T).GetProperties())
        {
            string name = property.Name;
            if (property.GetCustomAttributes(typeof(Microsoft.ML.SearchSpace.ChoiceAttribute),
                false).FirstOrDefault() is Microsoft.ML.SearchSpace.ChoiceAttribute choice)
            {
                space.Add(name, choice.Candidates);
                if (choice.DefaultValue is { } d) defaults[name] = Convert.ToString(d, CultureInfo.InvariantCulture)!;
            }
            else if (property.GetCustomAttributes(typeof(Microsoft.ML.SearchSpace.RangeAttribute),
                false).FirstOrDefault() is Microsoft.ML.SearchSpace.RangeAttribute range)
            {
                bool integer = range.Min is int;
                space.AddRange(name, Convert.ToDouble(range.Min, CultureInfo.InvariantCulture),
                    Convert.ToDouble(range.Max, CultureInfo.InvariantCulture), range.LogBase, integer);
                if (range.Init is { } init) defaults[name] = Convert.ToString(init, CultureInfo.InvariantCulture)!;
            }
            else if (property.GetCustomAttributes(typeof(Microsoft.ML.SearchSpace.BooleanChoiceAttribute),
                false).FirstOrDefault() is Microsoft.ML.SearchSpace.BooleanChoiceAttribute boolean)
            {
                space.Add(name, "True", "False");
                defaults[name] = boolean.DefaultValue.ToString();
            }
        }
        baseline = defaults;
        return space;
    }

    /// <summary>A canonical text of the space, for fingerprints.</summary>
    public override string ToString() => JsonSerializer.Serialize(dimensions);
}
