// The one table of options, read off their declarations: every settable member of GptConfig (the architecture),
// TrainingOptions (the training loop) and LowRankLmTrainer.Options (the seed), except those marked [RunSetting] (how a
// run executes, not what it computes) or [FromData]. Everything that names options — trial parameters and their
// descriptions, experiment and checkpoint fingerprints, SearchSpace.AddDefault, the CLI's --set, a sweep config's
// baseline, TensorBoard's options text, the report — goes through this table, so an option added to a declaration is
// settable, sweepable and part of a trial's identity with no list to keep in step. Values are invariant text: numbers
// in round-trip form, "none" for an unset optional one, ranks by Rank/RankSchedule.Format, variants and optimizers by
// name.
using System.Globalization;
using System.Reflection;
using Microsoft.ML.SearchSpace;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Estimators;

/// <summary>One option: where it is declared, its type and default, its sweep range, and its text form.</summary>
public sealed class OptionDescriptor
{
    readonly Func<LowRankLmTrainer.Options, object> part;
    readonly Action<LowRankLmTrainer.Options, Func<object, object>> replacePart;
    readonly Func<object?, string> format;
    readonly Func<string, object?> parse;

    internal OptionDescriptor(PropertyInfo property, string declaredIn, Func<LowRankLmTrainer.Options, object> part,
        Action<LowRankLmTrainer.Options, Func<object, object>> replacePart, Func<object?, string> format,
        Func<string, object?> parse)
    {
        Property = property;
        DeclaredIn = declaredIn;
        this.part = part;
        this.replacePart = replacePart;
        this.format = format;
        this.parse = parse;
        DefaultRange = property.GetCustomAttributes(false).FirstOrDefault(a =>
            a is RangeAttribute or ChoiceAttribute or BooleanChoiceAttribute) as Attribute;
        Default = Get(new LowRankLmTrainer.Options());
    }

    /// <summary>The option's name, as in <c>--set Name=value</c>, sweep configs and trial records.</summary>
    public string Name => Property.Name;

    /// <summary>The declaring member: "Model" (<see cref="GptConfig"/>), "Training" (<see cref="TrainingOptions"/>) or
    /// "Options" (<see cref="LowRankLmTrainer.Options"/> itself).</summary>
    public string DeclaredIn { get; }

    /// <summary>The declared property.</summary>
    public PropertyInfo Property { get; }

    /// <summary>The value's type.</summary>
    public Type Type => Property.PropertyType;

    /// <summary>The default, as text.</summary>
    public string Default { get; }

    /// <summary>The <c>[Range]</c>, <c>[Choice]</c> or <c>[BooleanChoice]</c> attribute that gives the option's default
    /// sweep range, or null.</summary>
    public Attribute? DefaultRange { get; }

    /// <summary>The option's value in <paramref name="options"/>, as text.</summary>
    public string Get(LowRankLmTrainer.Options options) => format(Property.GetValue(part(options)));

    /// <summary>The option's value in an instance of its declaring type (a GptConfig or TrainingOptions), as
    /// text.</summary>
    public string GetFrom(object declaringInstance) => format(Property.GetValue(declaringInstance));

    /// <summary>Sets the option from text; the declaring record is replaced by a changed copy.</summary>
    /// <exception cref="ArgumentException">The text is not a value of this option; the message names both.</exception>
    public void Set(LowRankLmTrainer.Options options, string value)
    {
        object? parsed;
        try { parsed = parse(value); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new ArgumentException($"Option {Name}: cannot use value '{value}' ({e.Message}).", nameof(value), e);
        }
        replacePart(options, instance => { Property.SetValue(instance, parsed); return instance; });
    }

    /// <summary>Parses <paramref name="value"/> without setting it, so a plan can be checked before anything
    /// runs.</summary>
    public void Check(string value) => Set(new LowRankLmTrainer.Options(), value);
}

/// <summary>Every option of the LowRankLm trainer, from their declarations.</summary>
public static class OptionTable
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    static readonly IReadOnlyList<OptionDescriptor> Table = Build();

    /// <summary>Every option, in declaration order: Options, then Model, then Training.</summary>
    public static IReadOnlyList<OptionDescriptor> All => Table;

    static readonly Dictionary<string, OptionDescriptor> ByName = Table.ToDictionary(d => d.Name,
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Every option name.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The option called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static OptionDescriptor? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The option called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such option; the message suggests the closest name and lists them
    /// all.</exception>
    public static OptionDescriptor Get(string name) => Find(name)
        ?? throw new ArgumentException($"Unknown option '{name}'{Common.Suggest.Closest(name, ByName.Keys)}. " +
        $"Known: {string.Join(", ", ByName.Keys)}.", nameof(name));

    /// <summary>Every option's value in <paramref name="options"/>: what identifies a run (ordinal order).</summary>
    public static SortedDictionary<string, string> Describe(LowRankLmTrainer.Options options) =>
        new(Table.ToDictionary(d => d.Name, d => d.Get(options)), StringComparer.Ordinal);

    /// <summary>Every option's default.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = Table.ToDictionary(d => d.Name,
        d => d.Default, StringComparer.Ordinal);

    /// <summary>True when two descriptions (from <see cref="Describe"/>, possibly written by an older version that had
    /// fewer options) name the same configuration: every key equal, a key missing on one side standing for the option's
    /// default — an option added since was at its default then.</summary>
    public static bool SameConfiguration(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b,
        string prefix = "") =>
        a.Keys.Union(b.Keys).All(k => Value(a, k, prefix) is { } x && x == Value(b, k, prefix));

    static string? Value(IReadOnlyDictionary<string, string> d, string key, string prefix) =>
        d.TryGetValue(key, out var v) ? v : key.StartsWith(prefix,
        StringComparison.Ordinal) && Defaults.TryGetValue(key[prefix.Length..], out var def) ? def : null;

    /// <summary>The options of one declaring type (<see cref="GptConfig"/> or <see cref="TrainingOptions"/>) read from
    /// an instance of it, as "Name=value" in ordinal order.</summary>
    public static string DescribePart(object declaringInstance) => declaringInstance is GptConfig or TrainingOptions
        ? OptionText.Describe(declaringInstance)
        : throw new ArgumentException($"{declaringInstance.GetType().Name} declares no options.",
        nameof(declaringInstance));

    static List<OptionDescriptor> Build()
    {
        var list = new List<OptionDescriptor>();
        void Add(Type declaring, string part, Func<LowRankLmTrainer.Options, object> get,
            Action<LowRankLmTrainer.Options, Func<object, object>> replace, params string[] groups)
        {
            foreach (var p in OptionText.Declared(declaring).Where(p => !groups.Contains(p.Name)))
            {
                var (format, parse) = OptionText.Codec(p);
                list.Add(new OptionDescriptor(p, part, get, replace, format, parse));
            }
        }
        Add(typeof(LowRankLmTrainer.Options), "Options", o => o, (o, change) => change(o),
            nameof(LowRankLmTrainer.Options.Model), nameof(LowRankLmTrainer.Options.Training));
        Add(typeof(GptConfig), "Model", o => o.Model, (o, change) => o.Model = (GptConfig)change(o.Model with { }));
        Add(typeof(TrainingOptions), "Training", o => o.Training,
            (o, change) => o.Training = (TrainingOptions)change(o.Training with { }));
        var duplicate = list.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Option '{duplicate.Key}' is declared " +
                $"in {string.Join(" and ", duplicate.Select(d => d.DeclaredIn))}; each option is declared once.");
        return list;
    }
}
