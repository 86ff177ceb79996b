// The trainer options a sweep can vary, by name, as invariant strings — so a trial's configuration is a small
// string map that is easy to store, compare, shard and show. Every option is sweepable: the ones with their own syntax
// are listed below; every other number, flag or enum of LowRankLmTrainer.Options and of its Advanced training options
// is found by reflection, so an option added there is sweepable without a list to keep in step. Values: integers and
// numbers in invariant culture ("none" for an unset optional one); ranks as an integer, a fraction ("0.25"), "dense",
// or a schedule ("Linear:8:64", "Step:8:64", "Exponential:4:64", "NegativeQuadratic:8:64", "Constant:32", or a
// registered kind); variants and optimizers by name (built in or registered with LowRankExtensions); enums by name.
using System.Globalization;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

/// <summary>Reads and writes named trainer options as strings.</summary>
public static class TrialParameters
{
    sealed record Parameter(Func<LowRankLmTrainer.Options, string> Get, Action<LowRankLmTrainer.Options, string> Set);

    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Options that are not part of what a trial is: where it runs, reports, checkpoints, or which data it reads.
    /// (Declared before <see cref="Known"/>, whose initializer reads it: static fields initialise in textual order.)</summary>
    static readonly HashSet<string> NotSweepable = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(LowRankLmTrainer.Options.TokensColumnName), nameof(LowRankLmTrainer.Options.ValidationSet), nameof(LowRankLmTrainer.Options.Progress),
        nameof(LowRankLmTrainer.Options.CancellationToken), nameof(LowRankLmTrainer.Options.Advanced), nameof(LowRankLmTrainer.Options.LogDirectory),
        nameof(TrainingOptions.Threads), nameof(TrainingOptions.ReportEvery), nameof(TrainingOptions.CheckpointPath), nameof(TrainingOptions.CheckpointEverySteps),
        nameof(TrainingOptions.CheckpointEverySeconds), nameof(TrainingOptions.Resume), nameof(TrainingOptions.PauseAtStep),
    };

    static readonly Dictionary<string, Parameter> Known = WithReflected(new(StringComparer.OrdinalIgnoreCase)
    {
        ["Depth"] = new(o => o.Depth.ToString(Ci), (o, v) => o.Depth = Int(v)),
        ["ModelDim"] = new(o => o.ModelDim.ToString(Ci), (o, v) => o.ModelDim = Int(v)),
        ["HeadDim"] = new(o => o.HeadDim.ToString(Ci), (o, v) => o.HeadDim = Int(v)),
        ["SequenceLength"] = new(o => o.SequenceLength.ToString(Ci), (o, v) => o.SequenceLength = Int(v)),
        ["BatchSize"] = new(o => o.BatchSize.ToString(Ci), (o, v) => o.BatchSize = Int(v)),
        ["Seed"] = new(o => o.Seed.ToString(Ci), (o, v) => o.Seed = Int(v)),
        ["DataSeed"] = new(o => o.DataSeed?.ToString(Ci) ?? "seed", (o, v) => o.DataSeed = v.Equals("seed", StringComparison.OrdinalIgnoreCase) ? null : Int(v)),
        ["GradientAccumulationSteps"] = new(o => o.Advanced.GradientAccumulationSteps.ToString(Ci), (o, v) => o.Advanced = o.Advanced with { GradientAccumulationSteps = Int(v) }),
        ["WarmupSteps"] = new(o => o.Advanced.WarmupSteps.ToString(Ci), (o, v) => o.Advanced = o.Advanced with { WarmupSteps = Int(v) }),
        ["WarmdownFraction"] = new(o => o.Advanced.WarmdownFraction.ToString("R", Ci), (o, v) => o.Advanced = o.Advanced with { WarmdownFraction = Double(v) }),
        ["MuonMomentumWarmupSteps"] = new(o => o.Advanced.MuonMomentumWarmupSteps.ToString(Ci), (o, v) => o.Advanced = o.Advanced with { MuonMomentumWarmupSteps = Int(v) }),
        ["AttentionRank"] = new(o => RankText(o.AttentionRank), (o, v) => o.AttentionRank = ParseRank(v)),
        ["MlpRank"] = new(o => RankText(o.MlpRank), (o, v) => o.MlpRank = ParseRank(v)),
        ["HeadRank"] = new(o => o.HeadRank is { } r ? r.Absolute.ToString(Ci) : "dense", (o, v) => o.HeadRank = IsDense(v) ? null : Rank.Of(Int(v))),
        ["Variant"] = new(o => o.Variant.Name, (o, v) => o.Variant = LinearVariant.Parse(v)),
        ["Init"] = new(o => o.Init.ToString(), (o, v) => o.Init = Enum.Parse<FactorInit>(v, ignoreCase: true)),
        ["Optimizer"] = new(o => o.Optimizer.Name, (o, v) => o.Optimizer = Optimizers.Parse(v)),
        ["MatrixLearningRate"] = new(o => o.MatrixLearningRate.ToString("R", Ci), (o, v) => o.MatrixLearningRate = Double(v)),
        ["EmbeddingLearningRate"] = new(o => o.EmbeddingLearningRate.ToString("R", Ci), (o, v) => o.EmbeddingLearningRate = Double(v)),
        ["HeadLearningRate"] = new(o => o.HeadLearningRate.ToString("R", Ci), (o, v) => o.HeadLearningRate = Double(v)),
        ["AdamMatrixLearningRate"] = new(o => o.Advanced.AdamMatrixLearningRate.ToString("R", Ci), (o, v) => o.Advanced = o.Advanced with { AdamMatrixLearningRate = Double(v) }),
        ["FrobeniusDecay"] = new(o => o.Advanced.FrobeniusDecay.ToString("R", Ci), (o, v) => o.Advanced = o.Advanced with { FrobeniusDecay = Double(v) }),
    });

    /// <summary>Adds every other number, flag and enum of the trainer options, then of the Advanced training options
    /// (where the trainer options do not already have that name: theirs override).</summary>
    static Dictionary<string, Parameter> WithReflected(Dictionary<string, Parameter> known)
    {
        foreach (var p in typeof(LowRankLmTrainer.Options).GetProperties().Where(p => p.CanWrite))
            if (!known.ContainsKey(p.Name) && !NotSweepable.Contains(p.Name) && Scalar(p.PropertyType) is { } parse)
                known[p.Name] = new(o => Format(p.GetValue(o)), (o, v) => p.SetValue(o, parse(v)));
        foreach (var p in typeof(TrainingOptions).GetProperties().Where(p => p.CanWrite))
            if (!known.ContainsKey(p.Name) && !NotSweepable.Contains(p.Name) && Scalar(p.PropertyType) is { } parse)
                known[p.Name] = new(o => Format(p.GetValue(o.Advanced)), (o, v) =>
                {
                    var copy = o.Advanced with { }; // a record with init-only properties: set on a copy, then swap it in
                    p.SetValue(copy, parse(v));
                    o.Advanced = copy;
                });
        return known;
    }

    /// <summary>A parser for a number, flag or enum type (nullable ones take "none"), or null for other types.</summary>
    static Func<string, object?>? Scalar(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type);
        var t = inner ?? type;
        Func<string, object?>? parse = t == typeof(int) ? v => Int(v)
            : t == typeof(long) ? v => long.Parse(v, NumberStyles.Integer, Ci)
            : t == typeof(double) ? v => Double(v)
            : t == typeof(bool) ? v => bool.Parse(v)
            : t.IsEnum ? v => Enum.Parse(t, v, ignoreCase: true)
            : null;
        if (parse is null || inner is null) return parse;
        return v => v.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : parse(v);
    }

    /// <summary>The text of a reflected value: the same as <see cref="Describe"/> writes.</summary>
    static string Format(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", Ci),
        IFormattable f => f.ToString(null, Ci),
        var v => v.ToString()!,
    };

    /// <summary>Every parameter name a search space may use.</summary>
    public static IReadOnlyCollection<string> Names => Known.Keys;

    /// <summary>True for a known name (case-insensitive).</summary>
    public static bool IsKnown(string name) => Known.ContainsKey(name);

    /// <summary>The current value of <paramref name="name"/> in <paramref name="options"/>.</summary>
    public static string Get(LowRankLmTrainer.Options options, string name) => Lookup(name).Get(options);

    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/>; a bad value throws naming both.</summary>
    public static void Set(LowRankLmTrainer.Options options, string name, string value)
    {
        try { Lookup(name).Set(options, value); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new ArgumentException($"Parameter {name}: cannot use value '{value}' ({e.Message}).", nameof(value), e);
        }
    }

    /// <summary>A copy of <paramref name="baseline"/> with <paramref name="parameters"/> applied (the baseline is not changed).</summary>
    public static LowRankLmTrainer.Options Apply(LowRankLmTrainer.Options baseline, IReadOnlyDictionary<string, string> parameters)
    {
        var o = Clone(baseline);
        foreach (var (name, value) in parameters) Set(o, name, value);
        return o;
    }

    /// <summary>A shallow copy of the options (the validation set, progress and token are shared).</summary>
    public static LowRankLmTrainer.Options Clone(LowRankLmTrainer.Options o) => new()
    {
        TokensColumnName = o.TokensColumnName, Depth = o.Depth, ModelDim = o.ModelDim, HeadDim = o.HeadDim, SequenceLength = o.SequenceLength,
        Variant = o.Variant, AttentionRank = o.AttentionRank, MlpRank = o.MlpRank, HeadRank = o.HeadRank, Init = o.Init,
        Optimizer = o.Optimizer, MatrixLearningRate = o.MatrixLearningRate, EmbeddingLearningRate = o.EmbeddingLearningRate,
        HeadLearningRate = o.HeadLearningRate, BatchSize = o.BatchSize, MaxSteps = o.MaxSteps, MaxTokens = o.MaxTokens,
        MaxSeconds = o.MaxSeconds, EvalEvery = o.EvalEvery, EvalTokens = o.EvalTokens, ThresholdPerplexity = o.ThresholdPerplexity,
        Seed = o.Seed, DataSeed = o.DataSeed, Threads = o.Threads, ValidationSet = o.ValidationSet, Progress = o.Progress, CancellationToken = o.CancellationToken,
        CheckpointPath = o.CheckpointPath, Resume = o.Resume, Advanced = o.Advanced, LogDirectory = o.LogDirectory,
    };

    /// <summary>Every known parameter's value in <paramref name="options"/>.</summary>
    /// <remarks>Besides the sweepable names, every option of the training loop that changes a trial's numbers
    /// (warm-up, warm-down, clipping, betas, momentum, weight decay, evaluation settings, budget...), read from
    /// <see cref="TrainingOptions"/> itself so that an option added there is part of a trial's identity without a
    /// list to keep in step: run directories and <c>SetReuse</c> never mix trials trained differently.</remarks>
    public static SortedDictionary<string, string> Describe(LowRankLmTrainer.Options options)
    {
        var described = new SortedDictionary<string, string>(Known.ToDictionary(k => k.Key, k => k.Value.Get(options)), StringComparer.Ordinal);
        var training = options.ToTraining();
        foreach (var property in typeof(TrainingOptions).GetProperties())
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (Known.ContainsKey(property.Name) || NotIdentity.Contains(property.Name) || !(type.IsPrimitive || type.IsEnum)) continue;
            described[property.Name] = Format(property.GetValue(training));
        }
        return described;
    }

    /// <summary>Training options that do not change a trial's numbers: how it runs, reports and checkpoints.</summary>
    static readonly HashSet<string> NotIdentity = [nameof(TrainingOptions.Threads), nameof(TrainingOptions.ReportEvery),
        nameof(TrainingOptions.CheckpointEverySteps), nameof(TrainingOptions.CheckpointEverySeconds), nameof(TrainingOptions.Resume),
        nameof(TrainingOptions.PauseAtStep)];

    /// <summary>A rank value: "dense", an integer, a fraction in (0, 1), or "Kind:a:b[:split]".</summary>
    public static RankSchedule? ParseRank(string value)
    {
        if (IsDense(value)) return null;
        var parts = value.Split(':');
        if (parts.Length == 1)
            return value.Contains('.') ? Rank.Fraction(Double(value)) : Rank.Of(Int(value));
        double a = Double(parts[1]), b = parts.Length > 2 ? Double(parts[2]) : a;
        return parts[0].ToLowerInvariant() switch
        {
            "constant" => a < 1 ? Rank.Fraction(a) : Rank.Of((int)a),
            "linear" => RankSchedule.Linear(a, b),
            "step" => parts.Length > 3 ? RankSchedule.Step(a, b, Double(parts[3])) : RankSchedule.Step(a, b),
            "exponential" => RankSchedule.Exponential(a, b),
            "negativequadratic" => RankSchedule.NegativeQuadratic(a, b),
            _ when LowRankExtensions.FindRankSchedule(parts[0]) is { } create => create(parts.Skip(1).Select(Double).ToArray()),
            _ => throw new FormatException($"Unknown rank schedule '{parts[0]}'. Known: {string.Join(", ", new[] { "Constant", "Linear", "Step", "Exponential", "NegativeQuadratic" }.Concat(LowRankExtensions.RankScheduleKinds))}. Register your own with LowRankExtensions.RegisterRankSchedule."),
        };
    }

    /// <summary>The value string of a schedule: "Linear(8, 64)" → "Linear:8:64", "Constant(32)" → "Constant:32".</summary>
    static string RankText(RankSchedule? schedule)
    {
        if (schedule is null) return "dense";
        string text = schedule.ToString()!.Replace("×max", "").Replace("split ", "").Replace("(", ":").Replace(", ", ":").Replace(")", "");
        return text.StartsWith("Constant:", StringComparison.Ordinal) ? text["Constant:".Length..] : text;
    }

    static bool IsDense(string v) => v.Equals("dense", StringComparison.OrdinalIgnoreCase) || v.Equals("full", StringComparison.OrdinalIgnoreCase);
    static int Int(string v) => int.Parse(v, NumberStyles.Integer, Ci);
    static double Double(string v) => double.Parse(v, NumberStyles.Float, Ci);

    static Parameter Lookup(string name) => Known.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"Unknown parameter '{name}'{Suggest.Closest(name, Known.Keys)}. Known: {string.Join(", ", Known.Keys)}.", nameof(name));
}

/// <summary>"Did you mean" for misspelt names.</summary>
public static class Suggest
{
    /// <summary>" (did you mean 'X'?)" for the closest candidate within a few edits, else "".</summary>
    public static string Closest(string name, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c, d: Distance(name.ToLowerInvariant(), c.ToLowerInvariant()))).OrderBy(x => x.d).FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, name.Length / 3) ? $" (did you mean '{best.c}'?)" : "";
    }

    static int Distance(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
