// The text form of the options a record declares (GptConfig's and TrainingOptions' settable members, run settings and
// values from the data apart): which members are options, and each value's invariant text and how to read it back —
// numbers in round-trip form, "none" (or the member's [NullText]) for an unset optional one, ranks by
// Rank/RankSchedule.Format, variants and optimizers by name. It sits with the training loop because a checkpoint's
// fingerprint describes the options with it; the option table (Estimators/OptionTable) builds every option from it, so
// the text of an option is declared once.
using System.Globalization;
using System.Reflection;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Training;

public static class OptionText
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>The members of <paramref name="declaring"/> that are options: public, settable, and neither a run
    /// setting nor a value the data gives.</summary>
    public static IEnumerable<PropertyInfo> Declared(Type declaring) =>
        declaring.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && !p.IsDefined(typeof(RunSettingAttribute))
        && !p.IsDefined(typeof(FromDataAttribute)));

    /// <summary>Every option of <paramref name="instance"/> as "Name=value", in ordinal order, ";"-separated.</summary>
    public static string Describe(object instance) =>
        string.Join(";",
        Declared(instance.GetType()).OrderBy(p => p.Name,
        StringComparer.Ordinal).Select(p => $"{p.Name}={Codec(p).Format(p.GetValue(instance))}"));

    /// <summary>The text form of a property's type; a type the table cannot write is an error when the table is
    /// built.</summary>
    public static (Func<object?, string> Format, Func<string, object?> Parse) Codec(PropertyInfo p)
    {
        var type = p.PropertyType;
        if (type == typeof(RankSchedule))
            return (v => RankSchedule.Format((RankSchedule?)v), s => RankSchedule.Parse(s));
        if (type == typeof(Rank?)) return (v => Rank.Format((Rank?)v), s => Rank.Parse(s));
        if (type == typeof(LinearVariant)) return (v => ((LinearVariant)v!).Name, s => LinearVariant.Parse(s.Trim()));
        if (type == typeof(IOptimizerFactory))
            return (v => ((IOptimizerFactory)v!).Name, s => Optimizers.Parse(s.Trim()));
        var inner = Nullable.GetUnderlyingType(type);
        var t = inner ?? type;
        Func<string, object>? parse = t == typeof(int) ? s => int.Parse(s, NumberStyles.Integer, Ci)
            : t == typeof(long) ? s => long.Parse(s, NumberStyles.Integer, Ci)
            : t == typeof(double) ? s => Finite(double.Parse(s, NumberStyles.Float, Ci))
            : t == typeof(bool) ? s => bool.Parse(s)
            : t.IsEnum ? s => Enum.IsDefined(t,
            s.Trim()) || Enum.GetNames(t).Any(n => n.Equals(s.Trim(), StringComparison.OrdinalIgnoreCase))
                ? Enum.Parse(t, s.Trim(),
            ignoreCase: true) : throw new FormatException($"known values: {string.Join(", ", Enum.GetNames(t))}")
            : null;
        if (parse is null)
            throw new InvalidOperationException($"Option {p.DeclaringType!.Name}.{p.Name} has type {type.Name}, " +
                $"which the option table cannot write as text; give it a codec in OptionText.Codec or mark it " +
                $"[RunSetting].");
        static string Scalar(object value) => value switch
        {
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString()!,
        };
        if (inner is null) return (v => Scalar(v!), s => parse(s));
        string none = p.GetCustomAttribute<NullTextAttribute>()?.Text ?? "none";
        return (v => v is null ? none : Scalar(v),
            s => s.Trim().Equals(none, StringComparison.OrdinalIgnoreCase) || s.Trim().Equals("none",
            StringComparison.OrdinalIgnoreCase) ? null : parse(s));
    }

    static double Finite(double v) => double.IsFinite(v) ? v : throw new FormatException("a finite number is needed");
}
