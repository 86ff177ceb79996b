// Named extensions: a user's own LinearVariant, IOptimizerFactory, rank-schedule kind or tokenizer, registered under
// its name, can be swept by name (from code or a JSON sweep config) and — for variants and tokenizers — saved in a
// model and found again on load; a model that names an extension nobody registered says which registration is missing.
using System.Collections.Concurrent;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank;

/// <summary>The process-wide registry of named extensions.</summary>
public static class ExtensionRegistry
{
    static readonly ConcurrentDictionary<string, LinearVariant> Variants = new(StringComparer.OrdinalIgnoreCase);
    static readonly ConcurrentDictionary<string, IOptimizerFactory> OptimizerFactories =
        new(StringComparer.OrdinalIgnoreCase);
    static readonly ConcurrentDictionary<string, Func<double[], RankSchedule>> Schedules =
        new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers <paramref name="variant"/> under its <see cref="LinearVariant.Name"/>: <c>Variant =
    /// "Name"</c> in sweeps, and models that use it save and load. Registering the same type again does
    /// nothing.</summary>
    /// <exception cref="ArgumentException">The name is a built-in variant's, or another type is registered under
    /// it.</exception>
    public static void Register(LinearVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        CheckName(variant.Name, LinearVariant.BuiltIn.Select(v => v.Name), "linear variant");
        AddOnce(Variants, variant.Name, variant, v => v.GetType(), "linear variant");
    }

    /// <summary>Registers <paramref name="optimizer"/> under its <see cref="IOptimizerFactory.Name"/>: <c>Optimizer =
    /// "Name"</c> in sweeps and configs.</summary>
    /// <exception cref="ArgumentException">The name is a built-in optimizer's, or another type is registered under
    /// it.</exception>
    public static void Register(IOptimizerFactory optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckName(optimizer.Name, [Optimizers.MuonAdamW.Name, Optimizers.AdamW.Name], "optimizer");
        AddOnce(OptimizerFactories, optimizer.Name, optimizer, o => o.GetType(), "optimizer");
    }

    /// <summary>Registers a rank-schedule kind: the value "<paramref name="kind"/>:a:b…" of AttentionRank or MlpRank
    /// becomes <paramref name="create"/>([a, b, …]). A schedule whose ToString() is "Kind(a, b)" round-trips through
    /// records.</summary>
    /// <exception cref="ArgumentException">The kind is built in, or another factory is registered under it.</exception>
    public static void RegisterRankSchedule(string kind, Func<double[], RankSchedule> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        CheckName(kind,
            ["Constant", "Linear", "Step", "Exponential", "NegativeQuadratic", "dense", "full"], "rank-schedule kind");
        AddOnce(Schedules, kind, create, f => f.Method, "rank-schedule kind");
    }

    /// <summary>Adds <paramref name="value"/> under <paramref name="name"/>, or does nothing when the same thing (by
    /// <paramref name="identity"/>) is there already; anything else under that name is an error: a sweep or a saved
    /// model naming it would silently get other code.</summary>
    static void AddOnce<T>(ConcurrentDictionary<string, T> registry, string name, T value, Func<T, object> identity,
        string what) where T : notnull
    {
        var existing = registry.GetOrAdd(name, value);
        if (!ReferenceEquals(existing, value) && !identity(existing).Equals(identity(value)))
            throw new ArgumentException($"A {what} named '{name}' is registered already ({identity(existing)}); " +
                $"registering {identity(value)} under the same name would change what every sweep and saved model " +
                $"naming it runs. Choose another name.", nameof(name));
    }

    /// <summary>Registers an external tokenizer so models trained with it load (the same as
    /// <see cref="LmTokenizer.Register"/>).</summary>
    public static void Register(ExternalLmTokenizer tokenizer) => LmTokenizer.Register(tokenizer);

    /// <summary>Registers every public, non-abstract <see cref="LinearVariant"/> and <see cref="IOptimizerFactory"/> of
    /// <paramref name="assembly"/> that has a parameterless constructor (what <c>"extensions": ["My.dll"]</c> in a
    /// sweep config does); returns the names registered.</summary>
    public static IReadOnlyList<string> RegisterAll(System.Reflection.Assembly assembly)
    {
        var names = new List<string>();
        foreach (var type in assembly.GetExportedTypes().Where(t => t is { IsAbstract: false,
            IsClass: true } && t.GetConstructor(Type.EmptyTypes) is not null))
        {
            if (typeof(LinearVariant).IsAssignableFrom(type))
            {
                var variant = (LinearVariant)Activator.CreateInstance(type)!;
                Register(variant);
                names.Add(variant.Name);
            }
            else if (typeof(IOptimizerFactory).IsAssignableFrom(type))
            {
                var optimizer = (IOptimizerFactory)Activator.CreateInstance(type)!;
                Register(optimizer);
                names.Add(optimizer.Name);
            }
        }
        return names;
    }

    /// <summary>Marks a load failure as a missing registration (the file itself is sound), so loaders do not call it
    /// corrupted.</summary>
    internal const string MissingRegistration = "MLNet.LowRank.MissingRegistration";

    internal static InvalidDataException Missing(string message, Exception? inner = null)
    {
        var e = new InvalidDataException(message, inner);
        e.Data[MissingRegistration] = true;
        return e;
    }

    internal static LinearVariant? FindVariant(string name) => Variants.GetValueOrDefault(name);
    internal static IOptimizerFactory? FindOptimizer(string name) => OptimizerFactories.GetValueOrDefault(name);
    internal static Func<double[], RankSchedule>? FindRankSchedule(string kind) => Schedules.GetValueOrDefault(kind);
    internal static IEnumerable<string> VariantNames => Variants.Keys;
    internal static IEnumerable<string> OptimizerNames => OptimizerFactories.Keys;
    internal static IEnumerable<string> RankScheduleKinds => Schedules.Keys;

    static void CheckName(string name, IEnumerable<string> builtIn, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':') || name.Contains(';') || name.Contains('='))
            throw new ArgumentException($"A {what} name must be non-empty and free of ':', ';' and '='; got '{name}'.",
                nameof(name));
        if (builtIn.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"'{name}' is a built-in {what}; register yours under another name.",
                nameof(name));
    }
}

