// What an MLContext says that ML.NET keeps internal: the seed given to `new MLContext(seed: n)` and whether
// `CancelExecution()` was called. ML.NET's own TorchSharp trainers read both through internal interfaces
// (IHostEnvironmentInternal.Seed, ICancelable.IsCanceled); from outside they are reached by reflection, once per
// type, and a host that has neither simply has no seed and is never cancelled.
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML.Runtime;

namespace MLNet.LowRank.Estimators;

internal static class MLContextSettings
{
    static readonly ConcurrentDictionary<(Type, string), Func<object, object?>?> Readers = new();

    /// <summary>The MLContext's seed, or null when it was made without one (or the host is not an MLContext).</summary>
    public static int? Seed(IHostEnvironment env) => Read(env, "Seed") as int?;

    /// <summary>True once <c>mlContext.CancelExecution()</c> was called.</summary>
    public static bool IsCanceled(this IHostEnvironment env) => Read(env, "IsCanceled") is true;

    /// <summary>The value of property <paramref name="name"/> on the host or any interface it implements (explicit
    /// implementations included), or on the environment an MLContext wraps.</summary>
    static object? Read(object host, string name)
    {
        int depth = 0;
        for (object? target = host; target is not null && depth++ < 4; target = Inner(target))
        {
            var reader = Readers.GetOrAdd((target.GetType(), name), key => Find(key.Item1, key.Item2));
            if (reader is not null) return reader(target);
        }
        return null;
    }

    static Func<object, object?>? Find(Type type, string name)
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        for (var t = type; t is not null; t = t.BaseType)
            if (t.GetProperty(name, all) is { } p && p.GetIndexParameters().Length == 0) return o => p.GetValue(o);
        foreach (var i in type.GetInterfaces())
            if (i.GetProperty(name, all) is { } p && p.GetIndexParameters().Length == 0)
            {
                var map = type.GetInterfaceMap(i);
                var getter = p.GetMethod!;
                int k = Array.IndexOf(map.InterfaceMethods, getter);
                var target = k >= 0 ? map.TargetMethods[k] : getter;
                return o => target.Invoke(o, null);
            }
        return null;
    }

    /// <summary>MLContext forwards to a private environment field; an object with none returns null.</summary>
    static object? Inner(object host) =>
        host.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic).FirstOrDefault(f =>
        typeof(IHostEnvironment).IsAssignableFrom(f.FieldType))?.GetValue(host) is { } inner && !ReferenceEquals(inner,
        host) ? inner : null;

    /// <summary>The initialisation seed in force: the options' own, else the MLContext's, else 1.</summary>
    public static int SeedOf(IHostEnvironment env, int? optionsSeed) => optionsSeed ?? Seed(env) ?? 1;
}
