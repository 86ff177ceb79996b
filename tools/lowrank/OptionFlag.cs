// A command-line flag that is another name for one trainer option of the option table (`--steps` for MaxSteps,
// `--eval-tokens` for EvalTokens, …): its default is the option's declared default and its value is set through the
// table, so the flag cannot drift from the option it names. The flag keeps its own value type, so System.CommandLine
// refuses a value of the wrong kind by name before anything runs (ParseErrors puts the type in words).
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Estimators;

namespace MLNet.LowRank.Cli;

sealed class OptionFlag<T>
{
    readonly OptionDescriptor option;

    /// <param name="flag">The flag, e.g. "--eval-tokens".</param>
    /// <param name="optionName">The option it sets, e.g. nameof(TrainingOptions.EvalTokens).</param>
    /// <param name="description">What the flag does; the option's name and default are added.</param>
    public OptionFlag(string flag, string optionName, string description)
    {
        option = OptionTable.Get(optionName);
        var declared = Nullable.GetUnderlyingType(option.Type) ?? option.Type;
        if ((Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)) != declared)
            throw new InvalidOperationException($"{flag} is typed {typeof(T).Name} but the " +
                $"option {option.Name} is {declared.Name}.");
        bool hasDefault = Nullable.GetUnderlyingType(option.Type) is null;
        Flag = new Option<T>(flag)
        {
            Description = $"{description} (option {option.Name}{(hasDefault ? $"; default {option.Default}" : "")})",
        };
        if (hasDefault)
            Flag.DefaultValueFactory = _ => (T)Convert.ChangeType(option.Default, typeof(T),
                CultureInfo.InvariantCulture);
    }

    /// <summary>The System.CommandLine option to add to a command.</summary>
    public Option<T> Flag { get; }

    /// <summary>Sets the option in <paramref name="options"/> from the parsed flag (an absent optional flag leaves
    /// it).</summary>
    public void ApplyTo(LowRankLmTrainer.Options options, ParseResult parse)
    {
        if (parse.GetValue(Flag) is { } value)
            option.Set(options,
                value is IFormattable f ? f.ToString(value is double ? "R" : null,
                CultureInfo.InvariantCulture) : value.ToString()!);
    }
}
