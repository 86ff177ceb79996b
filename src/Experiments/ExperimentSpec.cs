// One sweep as data: where the documents come from (a corpus or token shards), the tokenizer, the baseline options, the
// search space and tuner, each trial's budget, evaluation, early stopping, the objective, reuse, and where models and
// TensorBoard runs go. It is the JSON file of `lowrank sweep --config`; the CLI's sweep flags change a loaded spec, a
// job array's tasks read the effective spec saved beside the run (so no flag is rebuilt by hand), and the study's GPU
// recipe writes its configs with it. Options are read and written only through the option table: "evalEvery",
// "evalTokens", "threshold" and "trialSteps"/"trialTokens"/"trialSeconds" are the file's names for the options
// EvalEvery, EvalTokens, ThresholdPerplexity and the trial budget, whose defaults are the options' own.
//
// {
//   "corpus": "brown", "validationFraction": 0.1, "tokenizer": "bpe:4096",     // or "shards": "runs/tokens" (lowrank tokenize)
//   "baseline": { "Depth": 4, "ModelDim": 256, "HeadDim": 64, "SequenceLength": 256, "Variant": "Factored" },
//   "searchSpace": { "AttentionRank": ["dense", 8, 16, 32], "MlpRank": ["dense", 16, 64],
//                    "MatrixLearningRate": { "min": 0.005, "max": 0.08, "logScale": true } },
//   "tuner": "one-at-a-time",                      // or "grid", "random:12" / "random:12:seed", "local:16[:seed]" (adaptive)
//   "trials": [ { "AttentionRank": "8" } ],        // instead of a tuner: exactly these trials
//   "trialSeconds": 60,                            // or "trialSteps" / "trialTokens"
//   "evalEvery": 100, "evalTokens": 65536, "threshold": 250, "experimentMinutes": 120,
//   "earlyStopping": { "minSteps": 30, "reductionFactor": 3 },   // successive halving (needs trialSteps)
//   "objective": "perplexity",                     // or "bitsPerByte", "secondsToThreshold", "tokensToThreshold"
//   "modelDirectory": "runs/ranks/models",         // keep the best trial's model (best.zip)
//   "logDirectory": "runs/ranks/tensorboard",      // TensorBoard: one run per trial
//   "reuse": ["runs/earlier"],                     // copy trials these run directories already finished
//   "extensions": ["My.Variants.dll"]              // register its LinearVariants and optimizers, to sweep them by name
// }
//
// Unknown keys are errors that name the closest known key; a value of the wrong type or out of range names its key.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;
namespace MLNet.LowRank.Experiments;

/// <summary>A sweep's settings, read from and written to JSON; <see cref="Configure"/> sets them on an
/// experiment.</summary>
public sealed class ExperimentSpec
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>The file's names for trainer options, beside "baseline" (which takes every option by its own
    /// name).</summary>
    static readonly (string Key, string Option)[] OptionKeys =
    [
        ("evalEvery", nameof(TrainingOptions.EvalEvery)), ("evalTokens", nameof(TrainingOptions.EvalTokens)),
        ("threshold", nameof(TrainingOptions.ThresholdPerplexity)),
    ];

    static readonly string[] Keys =
    [
        "corpus", "textField", "validationFraction", "shards", "tokenizer", "baseline", "searchSpace", "tuner",
        "trials", "trialSeconds", "trialSteps", "trialTokens", "evalEvery", "evalTokens", "threshold",
        "experimentMinutes", "threads", "reuse", "earlyStopping", "objective", "modelDirectory", "extensions",
        "logDirectory",
    ];

    const double MaxExperimentMinutes = 1e9;

    readonly HashSet<string> namedOptions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"brown" (the embedded corpus), a .jsonl[.gz] file, a folder of .txt files or a folder/*.ext glob.
    /// Default "brown".</summary>
    public string Corpus { get; set; } = "brown";

    /// <summary>The JSONL field that holds the text. Default "text".</summary>
    public string TextField { get; set; } = "text";

    /// <summary>The share of documents held out for validation. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>A token-shard directory (<c>lowrank tokenize</c>) to sweep on instead of <see cref="Corpus"/>; its
    /// manifest names the tokenizer. Default none.</summary>
    public string? Shards { get; set; }

    /// <summary>The tokenizer's name (<see cref="LmTokenizer.NameHelp"/>). Default "bytes".</summary>
    public string Tokenizer { get; set; } = LmTokenizer.DefaultName;

    /// <summary>The options every trial starts from. Default: every option's own default.</summary>
    public LowRankLmTrainer.Options Baseline { get; set; } = new();

    /// <summary>The parameters to vary.</summary>
    public SearchSpace SearchSpace { get; set; } = new();

    /// <summary>"one-at-a-time" (default), "grid", "random:N[:seed]", "local:N[:seed]" (adaptive), or "explicit" when
    /// <see cref="Trials"/> lists the trials.</summary>
    public string Tuner { get; set; } = "one-at-a-time";

    /// <summary>Exactly these trials (tuner "explicit"), or null.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>>? Trials { get; set; }

    /// <summary>Each trial's budget, or null for the baseline's own.</summary>
    public TrialBudget? TrialBudget { get; set; }

    /// <summary>No trial starts after this many minutes, or null.</summary>
    public double? ExperimentMinutes { get; set; }

    /// <summary>Successive halving's options, or null.</summary>
    public SuccessiveHalvingOptions? EarlyStopping { get; set; }

    /// <summary>What the best trial minimises. Default validation perplexity.</summary>
    public ExperimentObjective Objective { get; set; } = ExperimentObjective.Perplexity;

    /// <summary>Where the best trial's model is kept (best.zip), or null.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Where TensorBoard runs go (one per trial), or null.</summary>
    public string? LogDirectory { get; set; }

    /// <summary>Run directories whose finished trials of the same configuration are copied instead of re-run.</summary>
    public IReadOnlyList<string> Reuse { get; set; } = [];

    /// <summary>Assemblies whose variants and optimizers were registered when the spec was read (full paths).</summary>
    public IReadOnlyList<string> Extensions { get; private set; } = [];

    /// <summary>The options the file named (in "baseline" or by one of its own keys): the others are at their
    /// defaults.</summary>
    public IReadOnlySet<string> NamedOptions => namedOptions;

    /// <summary>Reads a spec file; relative extension paths are taken from the file's folder, other paths from the
    /// working directory.</summary>
    /// <exception cref="ArgumentException">Not valid JSON, an unknown key (the closest known one is named), or a value
    /// of the wrong type or out of range (its key is named).</exception>
    public static ExperimentSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No sweep config at '{path}'.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads a spec from JSON text; <paramref name="source"/> names it in messages and anchors relative
    /// extension paths.</summary>
    public static ExperimentSpec Parse(string json, string source)
    {
        var spec = new ExperimentSpec();
        JsonDocument doc;
        var options = new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        try { doc = JsonDocument.Parse(json, options); }
        catch (JsonException e) { throw new ArgumentException($"{source}: not valid JSON ({e.Message})."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"{source}: the top level must be a JSON object.");
            // Extensions first: the baseline and search space may name what they register.
            foreach (var p in doc.RootElement.EnumerateObject().OrderBy(p => p.Name == "extensions" ? 0 : 1))
                spec.Apply(source, p);
        }
        return spec;
    }

    /// <summary>The spec as JSON that <see cref="Parse"/> reads back to the same experiment. With
    /// <paramref name="everyOption"/> the baseline lists every option, not only those away from their defaults, so the
    /// file names the same trials under a later build whose defaults differ (what a job array's tasks read).</summary>
    public string ToJson(bool everyOption = false)
    {
        var o = new JsonObject();
        if (Shards is null)
        {
            o["corpus"] = Corpus;
            o["textField"] = TextField;
            o["validationFraction"] = ValidationFraction;
        }
        else o["shards"] = Shards;
        o["tokenizer"] = Tokenizer;
        if (Extensions.Count > 0) o["extensions"] = new JsonArray([.. Extensions.Select(e => (JsonNode?)e)]);
        var baseline = new JsonObject();
        foreach (var d in OptionTable.All)
        {
            string value = d.Get(Baseline);
            if (everyOption || value != d.Default) baseline[d.Name] = Typed(d, value);
        }
        o["baseline"] = baseline;
        var space = new JsonObject();
        foreach (var d in SearchSpace.Dimensions)
        {
            var option = OptionTable.Find(d.Name);
            space[d.Name] = d.IsRange
                ? new JsonObject
                {
                    ["min"] = d.Min,
                    ["max"] = d.Max,
                    ["logScale"] = d.LogScale,
                    ["integer"] = d.Integer,
                }
                : new JsonArray([.. d.Choices.Select(c => option is null ? (JsonNode?)c : Typed(option, c))]);
        }
        o["searchSpace"] = space;
        if (Trials is null) o["tuner"] = Tuner;
        else o["trials"] = new JsonArray([.. Trials.Select(t =>
            (JsonNode?)new JsonObject(t.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))))]);
        if (TrialBudget?.Steps is int steps) o["trialSteps"] = steps;
        if (TrialBudget?.Tokens is long tokens) o["trialTokens"] = tokens;
        if (TrialBudget?.Seconds is double seconds) o["trialSeconds"] = seconds;
        if (Baseline.Training.Threads is int threads) o["threads"] = threads;
        if (ExperimentMinutes is double minutes) o["experimentMinutes"] = minutes;
        if (EarlyStopping is { } es)
            o["earlyStopping"] = new JsonObject
            {
                ["minSteps"] = es.MinSteps,
                ["reductionFactor"] = es.ReductionFactor,
            };
        o["objective"] = JsonNamingPolicy.CamelCase.ConvertName(Objective.ToString());
        if (ModelDirectory is not null) o["modelDirectory"] = ModelDirectory;
        if (LogDirectory is not null) o["logDirectory"] = LogDirectory;
        if (Reuse.Count > 0) o["reuse"] = new JsonArray([.. Reuse.Select(r => (JsonNode?)r)]);
        var writing = new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return o.ToJsonString(writing) + Environment.NewLine;
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (atomically).</summary>
    public void Save(string path, bool everyOption = false) => Common.AtomicFile.WriteText(path, ToJson(everyOption));

    /// <summary>Sets everything but the data and the result directory on <paramref name="experiment"/>: the tokenizer
    /// and baseline, search space, tuner or trials, budgets, early stopping, objective, reuse, model and log
    /// directories.</summary>
    public LowRankExperiment Configure(LowRankExperiment experiment)
    {
        experiment.SetPipeline(LmTokenizer.Parse(Tokenizer), Baseline.Clone())
            .SetSearchSpace(SearchSpace)
            .SetReuse([.. Reuse])
            .SetObjective(Objective);
        if (Trials is not null) experiment.SetTrials(Trials);
        else ApplyTuner(experiment, Tuner);
        if (TrialBudget is not null) experiment.SetTrialBudget(TrialBudget);
        if (EarlyStopping is { } es) experiment.SetSuccessiveHalving(es.MinSteps, es.ReductionFactor);
        if (ExperimentMinutes is double minutes) experiment.SetExperimentBudget(TimeSpan.FromMinutes(minutes));
        if (ModelDirectory is not null) experiment.SetModelDirectory(ModelDirectory);
        if (LogDirectory is not null) experiment.SetLogDirectory(LogDirectory);
        return experiment;
    }

    /// <summary>True for a tuner that proposes trials from results ("local:N"), which has no list to print or
    /// shard.</summary>
    public bool IsAdaptive => Trials is null && Tuner.StartsWith("local", StringComparison.OrdinalIgnoreCase);

    /// <summary>Sweep configs before this spec evaluated trials on 32,768 validation tokens when they named none, where
    /// the option's default is 65,536. A run directory made that way is resumed with its own 32,768 when this spec
    /// does not name EvalTokens either, so its finished trials stay finished; returns true when it was.</summary>
    public bool KeepFormerEvalTokensDefault(string runDirectory)
    {
        const string former = "32768", key = "baseline." + nameof(TrainingOptions.EvalTokens);
        if (namedOptions.Contains(nameof(TrainingOptions.EvalTokens)) || !Directory.Exists(runDirectory)) return false;
        var stored = new ResultStore(runDirectory).ReadFingerprint();
        if (stored?.GetValueOrDefault(key) != former
            || OptionTable.Get(nameof(TrainingOptions.EvalTokens)).Get(Baseline) == former) return false;
        OptionTable.Get(nameof(TrainingOptions.EvalTokens)).Set(Baseline, former);
        return true;
    }

    /// <summary>"perplexity", "bitsPerByte", "secondsToThreshold", "tokensToThreshold".</summary>
    public static ExperimentObjective ParseObjective(string text) =>
        Enum.TryParse<ExperimentObjective>(text, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o
        : throw new ArgumentException($"Unknown objective '{text}'. Use perplexity, bitsPerByte, secondsToThreshold " +
        $"or tokensToThreshold.");

    /// <summary>Sets the tuner "one-at-a-time", "grid", "random:N[:seed]" or "local:N[:seed]" (adaptive) on
    /// <paramref name="experiment"/>.</summary>
    public static void ApplyTuner(LowRankExperiment experiment, string text)
    {
        var parts = text.Split(':');
        int At(int i, int fallback, int min) => parts.Length <= i ? fallback
            : int.TryParse(parts[i], NumberStyles.Integer, Ci, out int v) && v >= min ? v
            : throw new ArgumentException($"Tuner '{text}': '{parts[i]}' is not {(i == 1 ? "a trial count ≥ 1" : "a " +
            "seed ≥ 0")}. Use one-at-a-time, grid, random:N[:seed] or local:N[:seed].");
        switch (parts[0].ToLowerInvariant())
        {
            case "one-at-a-time" or "oneatatime": experiment.SetTuner(Tuners.OneAtATime()); break;
            case "grid": experiment.SetTuner(Tuners.Grid()); break;
            case "random" when parts.Length is 2 or 3: experiment.SetTuner(Tuners.Random(At(1, 0, 1),
            At(2, 0, 0))); break;
            case "local" when parts.Length is 2 or 3: experiment.SetTuner(AdaptiveTuners.LocalSearch(At(1, 0, 1),
            seed: At(2, 0, 0))); break;
            default: throw new ArgumentException($"Unknown tuner '{text}'. Use one-at-a-time, grid, random:N[:seed] " +
            $"or local:N[:seed].");
        }
    }

    /// <summary>Sets a baseline option from the file, remembering that the file named it.</summary>
    public void SetOption(string name, string value)
    {
        TrialParameters.Set(Baseline, name, value);
        namedOptions.Add(OptionTable.Get(name).Name);
    }

    void Apply(string path, JsonProperty p)
    {
        string where = $"{path}: \"{p.Name}\"";
        switch (p.Name)
        {
            case "corpus": Corpus = Text(p, where); break;
            case "textField": TextField = Text(p, where); break;
            case "validationFraction": ValidationFraction = Number(p, where); break;
            case "shards": Shards = Path.GetFullPath(Text(p, where)); break;
            case "tokenizer": Tokenizer = Text(p, where); break;
            case "tuner": Tuner = Text(p, where); break;
            case "trialSeconds": TrialBudget = Budget(where, seconds: Positive(p, where)); break;
            case "trialSteps": TrialBudget = Budget(where, steps: Integer(p, where, 1, int.MaxValue)); break;
            case "trialTokens": TrialBudget = Budget(where, tokens: Integer(p, where, 1, long.MaxValue / 2)); break;
            case "experimentMinutes":
                // Bounded so that it is a TimeSpan (1e300 minutes overflowed one): a billion minutes is 1,900 years.
                ExperimentMinutes = Positive(p, where) is var minutes && minutes <= MaxExperimentMinutes ? minutes
                    : throw new ArgumentException(string
                    .Create(Ci, $"{where}: must be at most {MaxExperimentMinutes:N0} minutes; got {p.Value.GetRawText()}."));
                break;
            case "evalEvery" or "evalTokens": SetOption(OptionOf(p.Name),
            Integer(p, where, 0, int.MaxValue).ToString(Ci)); break;
            case "threshold": SetOption(OptionOf(p.Name), Number(p, where).ToString("R", Ci)); break;
            case "threads": Baseline.Training = Baseline.Training with { Threads = Integer(p, where, 1,
            Runtime.ThreadPolicy.MaxThreads) }; break;
            case "earlyStopping":
            {
                var o = Object(p, where);
                int min = 0, eta = 3;
                foreach (var e in o.EnumerateObject())
                {
                    if (e.Name == "minSteps") min = Integer(e, $"{where}.minSteps", 1, int.MaxValue);
                    else if (e.Name == "reductionFactor") eta = Integer(e, $"{where}.reductionFactor", 2, 1000);
                    else throw new ArgumentException($"{where}: unknown key \"{e.Name}\"; use minSteps and " +
                        $"reductionFactor.");
                }
                if (min < 1)
                    throw new ArgumentException($"{where}: give \"minSteps\" (the first rung's steps, at least 1).");
                EarlyStopping = new SuccessiveHalvingOptions(min, eta);
                break;
            }
            case "objective": Objective = ParseObjective(Text(p, where)); break;
            case "extensions":
            {
                var dlls = new List<string>();
                foreach (var v in Strings(p, where, "assembly paths"))
                {
                    string dll = Path.GetFullPath(v, Path.GetDirectoryName(Path.GetFullPath(path))!);
                    if (!File.Exists(dll)) throw new FileNotFoundException($"{where}: no assembly at '{dll}'.", dll);
                    var registered = ExtensionRegistry.RegisterAll(System.Reflection.Assembly.LoadFrom(dll));
                    if (registered.Count == 0)
                        throw new ArgumentException($"{where}: '{dll}' has no public LinearVariant or " +
                            $"IOptimizerFactory with a parameterless constructor.");
                    dlls.Add(dll);
                }
                Extensions = dlls;
                break;
            }
            case "modelDirectory": ModelDirectory = Path.GetFullPath(Text(p, where)); break;
            case "logDirectory": LogDirectory = Path.GetFullPath(Text(p, where)); break;
            case "reuse": Reuse = [.. Strings(p, where, "run-directory paths").Select(Path.GetFullPath)]; break;
            case "baseline":
                foreach (var o in Object(p, where).EnumerateObject())
                {
                    if (!TrialParameters.IsKnown(o.Name))
                        throw new ArgumentException($"{where}: unknown option " +
                            $"\"{o.Name}\"{Common.Suggest.Closest(o.Name, TrialParameters.Names)}. " +
                            $"Known: {string.Join(", ", TrialParameters.Names)}.");
                    SetOption(o.Name, ScalarOf(o.Value, $"{where}.{o.Name}"));
                }
                break;
            case "searchSpace":
                foreach (var o in Object(p, where).EnumerateObject())
                {
                    if (o.Value.ValueKind == JsonValueKind.Object) AddRange(o, $"{where}.{o.Name}");
                    else if (o.Value.ValueKind == JsonValueKind.Array)
                        SearchSpace.Add(o.Name,
                            o.Value.EnumerateArray().Select((v, i) => ScalarOf(v, $"{where}.{o.Name}[{i}]")).ToArray());
                    else throw new ArgumentException($"{where}.{o.Name}: expected an array of values, " +
                        $"got {o.Value.ValueKind}.");
                }
                break;
            case "trials":
                if (p.Value.ValueKind != JsonValueKind.Array
                    || p.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Object))
                    throw new ArgumentException($"{where}: expected an array of trials, each an object of option " +
                        $"values.");
                Trials = [.. p.Value.EnumerateArray().Select((t,
                    i) => (IReadOnlyDictionary<string, string>)t.EnumerateObject()
                    .ToDictionary(o => o.Name, o => ScalarOf(o.Value, $"{where}[{i}].{o.Name}")))];
                Tuner = "explicit";
                break;
            default:
                throw new ArgumentException($"{path}: unknown key " +
                    $"\"{p.Name}\"{Common.Suggest.Closest(p.Name, Keys)}. Known keys: {string.Join(", ", Keys)}.");
        }
    }

    /// <summary>This budget key added to the ones already read: together they are each trial's budget.</summary>
    TrialBudget Budget(string where, int? steps = null, long? tokens = null, double? seconds = null)
    {
        try { return new TrialBudget(steps ?? TrialBudget?.Steps, tokens ?? TrialBudget?.Tokens,
            seconds ?? TrialBudget?.Seconds); }
        catch (ArgumentException e) { throw new ArgumentException($"{where}: {e.Message}", e); }
    }

    void AddRange(JsonProperty o, string where)
    {
        double? min = null, max = null;
        bool log = false, integer = false;
        foreach (var e in o.Value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "min": min = Number(e, $"{where}.min"); break;
                case "max": max = Number(e, $"{where}.max"); break;
                case "logScale": log = Boolean(e, $"{where}.logScale"); break;
                case "integer": integer = Boolean(e, $"{where}.integer"); break;
                default: throw new ArgumentException($"{where}: unknown key \"{e.Name}\"; a range takes min, max, " +
                $"logScale and integer.");
            }
        }
        if (min is null || max is null) throw new ArgumentException($"{where}: a range needs \"min\" and \"max\".");
        SearchSpace.AddRange(o.Name, min.Value, max.Value, log, integer);
    }

    static string OptionOf(string key) => OptionKeys.Single(k => k.Key == key).Option;

    /// <summary>An option's text as JSON: a number for a numeric option with a value, else the text.</summary>
    static JsonNode Typed(OptionDescriptor d, string value)
    {
        var t = Nullable.GetUnderlyingType(d.Type) ?? d.Type;
        if (t == typeof(int) && int.TryParse(value, NumberStyles.Integer, Ci, out int i)) return i;
        if (t == typeof(long) && long.TryParse(value, NumberStyles.Integer, Ci, out long l)) return l;
        if (t == typeof(double) && double.TryParse(value, NumberStyles.Float, Ci, out double x)) return x;
        if (t == typeof(bool) && bool.TryParse(value, out bool b)) return b;
        return value;
    }

    static JsonElement Object(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.Object ? p.Value
        : throw new ArgumentException($"{where}: expected an object, got {p.Value.ValueKind}.");

    static IEnumerable<string> Strings(JsonProperty p, string where, string what) =>
        p.Value.ValueKind == JsonValueKind.Array
        && p.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
            ? [.. p.Value.EnumerateArray().Select(v => v.GetString()!)]
            : throw new ArgumentException($"{where}: expected an array of {what} (strings).");

    static string Text(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
        : throw new ArgumentException($"{where}: expected a string, got {p.Value.ValueKind}.");

    static double Number(JsonProperty p, string where) =>
        p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble()
        : throw new ArgumentException($"{where}: expected a number, got {p.Value.ValueKind}.");

    static bool Boolean(JsonProperty p, string where) =>
        p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean()
        : throw new ArgumentException($"{where}: expected true or false, got {p.Value.ValueKind}.");

    /// <summary>A positive, finite number.</summary>
    static double Positive(JsonProperty p, string where) =>
        Number(p,
        where) is var v && v > 0 && double.IsFinite(v) ? v
        : throw new ArgumentException($"{where}: must be a positive number; got {p.Value.GetRawText()}.");

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]: a fraction, or a value past either
    /// end, is refused by name instead of being cut or saturated (1e300 steps once became int.MaxValue and ran until
    /// killed).</summary>
    static int Integer(JsonProperty p, string where, int min, int max) => checked((int)Integer(p, where, (long)min,
        max));

    static long Integer(JsonProperty p, string where, long min, long max)
    {
        double v = Number(p, where);
        if (v != Math.Floor(v) || v < min || v > max)
            throw new ArgumentException(string
                .Create(Ci, $"{where}: must be a whole number in {min:N0} … {max:N0}; got {p.Value.GetRawText()}."));
        return (long)v;
    }

    static string ScalarOf(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.GetRawText(),
        _ => throw new ArgumentException($"{where}: expected a string or a number, got {v.ValueKind}."),
    };
}
