// The JSON file of `lowrank sweep --config`: corpus, tokenizer, baseline options, search space, tuner and budgets.
// Unknown keys are errors that name the closest known key; a value of the wrong type names its key.
//
// {
//   "corpus": "brown", "validationFraction": 0.1, "tokenizer": "bpe:4096",
//   "baseline": { "Depth": 4, "ModelDim": 256, "HeadDim": 64, "SequenceLength": 256, "Variant": "Factored" },
//   "searchSpace": { "AttentionRank": ["dense", 8, 16, 32], "MlpRank": ["dense", 16, 64] },
//   "tuner": "one-at-a-time",                      // or "grid", "random:12" / "random:12:seed", "local:16[:seed]" (adaptive)
//   "trialSeconds": 60,                            // or "trialSteps" / "trialTokens"
//   "evalEvery": 100, "evalTokens": 32768, "threshold": 250, "experimentMinutes": 120,
//   "earlyStopping": { "minSteps": 30, "reductionFactor": 3 },   // successive halving (needs trialSteps)
//   "objective": "perplexity",                     // or "bitsPerByte", "secondsToThreshold", "tokensToThreshold"
//   "modelDirectory": "runs/ranks/models",         // keep the best trial's model (best.zip)
//   "logDirectory": "runs/ranks/tensorboard",      // TensorBoard: one run per trial
//   "reuse": ["runs/earlier"],                     // copy trials these run directories already finished
//   "extensions": ["My.Variants.dll"]              // register its LinearVariants and optimizers, to sweep them by name
// }
using System.Globalization;
using System.Text.Json;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Cli;

sealed class SweepConfig
{
    static readonly string[] Keys =
    [
        "corpus", "textField", "validationFraction", "tokenizer", "baseline", "searchSpace", "tuner",
        "trialSeconds", "trialSteps", "trialTokens", "evalEvery", "evalTokens", "threshold", "experimentMinutes", "threads", "reuse",
        "earlyStopping", "objective", "modelDirectory", "extensions", "logDirectory",
    ];

    public string Corpus { get; private set; } = "brown";
    public string TextField { get; private set; } = "text";
    public double ValidationFraction { get; private set; } = 0.1;
    public string Tokenizer { get; private set; } = TokenizerOption.Default;
    public LowRankLmTrainer.Options Baseline { get; } = new() { Training = new() { EvalEvery = 100, EvalTokens = 32_768 } };
    public SearchSpace SearchSpace { get; } = new();
    public string Tuner { get; private set; } = "one-at-a-time";
    public int? TrialSteps { get; private set; }
    public long? TrialTokens { get; private set; }
    public double? TrialSeconds { get; private set; }
    public double? ExperimentMinutes { get; private set; }
    /// <summary>Run directories whose finished trials of the same configuration are copied instead of re-run.</summary>
    public string[] Reuse { get; private set; } = [];
    /// <summary>Successive halving's options, or null.</summary>
    public SuccessiveHalvingOptions? EarlyStopping { get; private set; }
    public ExperimentObjective Objective { get; private set; } = ExperimentObjective.Perplexity;
    public string? ModelDirectory { get; private set; }
    public string? LogDirectory { get; private set; }

    public static SweepConfig Load(string? path)
    {
        var config = new SweepConfig();
        if (path is null) return config;
        if (!File.Exists(path)) throw new FileNotFoundException($"No sweep config at '{path}'.", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ArgumentException($"{path}: not valid JSON ({e.Message})."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{path}: the top level must be a JSON object.");
            // Extensions first: the baseline and search space may name what they register.
            foreach (var p in doc.RootElement.EnumerateObject().OrderBy(p => p.Name == "extensions" ? 0 : 1))
                config.Apply(path, p);
        }
        return config;
    }

    void Apply(string path, JsonProperty p)
    {
        string where = $"{path}: \"{p.Name}\"";
        switch (p.Name)
        {
            case "corpus": Corpus = Text(p, where); break;
            case "textField": TextField = Text(p, where); break;
            case "validationFraction": ValidationFraction = Number(p, where); break;
            case "tokenizer": Tokenizer = Text(p, where); break;
            case "tuner": Tuner = Text(p, where); break;
            case "trialSeconds": TrialSeconds = Positive(p, where); break;
            case "trialSteps": TrialSteps = Integer(p, where, 1, int.MaxValue); break;
            case "trialTokens": TrialTokens = (long)Integer(p, where, 1, long.MaxValue / 2); break;
            case "experimentMinutes": ExperimentMinutes = Positive(p, where); break;
            case "evalEvery": Baseline.Training = Baseline.Training with { EvalEvery = Integer(p, where, 0, int.MaxValue) }; break;
            case "evalTokens": Baseline.Training = Baseline.Training with { EvalTokens = Integer(p, where, 0, int.MaxValue) }; break;
            case "threshold": Baseline.Training = Baseline.Training with { ThresholdPerplexity = Number(p, where) }; break;
            case "threads": Baseline.Training = Baseline.Training with { Threads = Integer(p, where, 1, Runtime.ThreadPolicy.MaxThreads) }; break;
            case "earlyStopping":
            {
                var o = Object(p, where);
                int min = 0, eta = 3;
                foreach (var e in o.EnumerateObject())
                {
                    if (e.Name == "minSteps") min = Integer(e, $"{where}.minSteps", 1, int.MaxValue);
                    else if (e.Name == "reductionFactor") eta = Integer(e, $"{where}.reductionFactor", 2, 1000);
                    else throw new ArgumentException($"{where}: unknown key \"{e.Name}\"; use minSteps and reductionFactor.");
                }
                if (min < 1) throw new ArgumentException($"{where}: give \"minSteps\" (the first rung's steps, at least 1).");
                EarlyStopping = new SuccessiveHalvingOptions(min, eta);
                break;
            }
            case "objective": Objective = ParseObjective(Text(p, where)); break;
            case "extensions":
                if (p.Value.ValueKind != JsonValueKind.Array || p.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    throw new ArgumentException($"{where}: expected an array of assembly paths (strings).");
                foreach (var v in p.Value.EnumerateArray())
                {
                    string dll = Path.GetFullPath(v.GetString()!, Path.GetDirectoryName(Path.GetFullPath(path))!);
                    if (!File.Exists(dll)) throw new FileNotFoundException($"{where}: no assembly at '{dll}'.", dll);
                    var registered = LowRankExtensions.RegisterAll(System.Reflection.Assembly.LoadFrom(dll));
                    if (registered.Count == 0) throw new ArgumentException($"{where}: '{dll}' has no public LinearVariant or IOptimizerFactory with a parameterless constructor.");
                }
                break;
            case "modelDirectory": ModelDirectory = Path.GetFullPath(Text(p, where)); break;
            case "logDirectory": LogDirectory = Path.GetFullPath(Text(p, where)); break;
            case "reuse":
                if (p.Value.ValueKind != JsonValueKind.Array || p.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    throw new ArgumentException($"{where}: expected an array of run-directory paths (strings).");
                Reuse = [.. p.Value.EnumerateArray().Select(v => Path.GetFullPath(v.GetString()!))];
                break;
            case "baseline":
                foreach (var o in Object(p, where).EnumerateObject())
                {
                    if (!TrialParameters.IsKnown(o.Name))
                        throw new ArgumentException($"{where}: unknown option \"{o.Name}\"{Suggest.Closest(o.Name, TrialParameters.Names)}. Known: {string.Join(", ", TrialParameters.Names)}.");
                    TrialParameters.Set(Baseline, o.Name, Scalar(o, $"{where}.{o.Name}"));
                }
                break;
            case "searchSpace":
                foreach (var o in Object(p, where).EnumerateObject())
                {
                    if (o.Value.ValueKind != JsonValueKind.Array)
                        throw new ArgumentException($"{where}.{o.Name}: expected an array of values, got {o.Value.ValueKind}.");
                    SearchSpace.Add(o.Name, o.Value.EnumerateArray().Select((v, i) => ScalarOf(v, $"{where}.{o.Name}[{i}]")).ToArray());
                }
                break;
            default:
                throw new ArgumentException($"{path}: unknown key \"{p.Name}\"{Suggest.Closest(p.Name, Keys)}. Known keys: {string.Join(", ", Keys)}.");
        }
    }

    /// <summary>"perplexity", "bitsPerByte", "secondsToThreshold", "tokensToThreshold".</summary>
    public static ExperimentObjective ParseObjective(string text) =>
        Enum.TryParse<ExperimentObjective>(text, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o
        : throw new ArgumentException($"Unknown objective '{text}'. Use perplexity, bitsPerByte, secondsToThreshold or tokensToThreshold.");

    /// <summary>Sets the tuner "one-at-a-time", "grid", "random:N[:seed]" or "local:N[:seed]" (adaptive) on <paramref name="experiment"/>.</summary>
    public static void ApplyTuner(LowRankExperiment experiment, string text)
    {
        var parts = text.Split(':');
        int At(int i, int fallback, int min) => parts.Length <= i ? fallback
            : int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new ArgumentException($"Tuner '{text}': '{parts[i]}' is not {(i == 1 ? "a trial count ≥ 1" : "a seed ≥ 0")}. Use one-at-a-time, grid, random:N[:seed] or local:N[:seed].");
        switch (parts[0].ToLowerInvariant())
        {
            case "one-at-a-time" or "oneatatime": experiment.SetTuner(Tuners.OneAtATime()); break;
            case "grid": experiment.SetTuner(Tuners.Grid()); break;
            case "random" when parts.Length is 2 or 3: experiment.SetTuner(Tuners.Random(At(1, 0, 1), At(2, 0, 0))); break;
            case "local" when parts.Length is 2 or 3: experiment.SetTuner(AdaptiveTuners.LocalSearch(At(1, 0, 1), seed: At(2, 0, 0))); break;
            default: throw new ArgumentException($"Unknown tuner '{text}'. Use one-at-a-time, grid, random:N[:seed] or local:N[:seed].");
        }
    }

    static JsonElement Object(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.Object ? p.Value : throw new ArgumentException($"{where}: expected an object, got {p.Value.ValueKind}.");

    static string Text(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new ArgumentException($"{where}: expected a string, got {p.Value.ValueKind}.");

    static double Number(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : throw new ArgumentException($"{where}: expected a number, got {p.Value.ValueKind}.");

    /// <summary>A positive, finite number.</summary>
    static double Positive(JsonProperty p, string where) =>
        Number(p, where) is var v && v > 0 && double.IsFinite(v) ? v : throw new ArgumentException($"{where}: must be a positive number; got {p.Value.GetRawText()}.");

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]: a fraction, or a value past either end,
    /// is refused by name instead of being cut or saturated (1e300 steps once became int.MaxValue and ran until killed).</summary>
    static int Integer(JsonProperty p, string where, int min, int max) => checked((int)Integer(p, where, (long)min, max));

    static long Integer(JsonProperty p, string where, long min, long max)
    {
        double v = Number(p, where);
        if (v != Math.Floor(v) || v < min || v > max)
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{where}: must be a whole number in {min:N0} … {max:N0}; got {p.Value.GetRawText()}."));
        return (long)v;
    }

    static string Scalar(JsonProperty p, string where) => ScalarOf(p.Value, where);

    static string ScalarOf(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.GetRawText(),
        _ => throw new ArgumentException($"{where}: expected a string or a number, got {v.ValueKind}."),
    };
}
