// The run directory: experiment.json (what the experiment is, to refuse mixing), trials/<id>.json (one per finished
// trial, written to a temporary file and renamed, so a kill never leaves half a record), summary.jsonl and summary.csv
// (rebuilt from the trial files). Several processes (shards) can share one directory: they write different trials.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MLNet.LowRank.Experiments;

/// <summary>Reads and writes a sweep's run directory.</summary>
public sealed class ResultStore
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public ResultStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
        TrialsDirectory = Path.Combine(Directory, "trials");
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }

    /// <summary>Where trial records live.</summary>
    public string TrialsDirectory { get; }

    string ExperimentFile => Path.Combine(Directory, "experiment.json");

    /// <summary>Creates the directory for <paramref name="fingerprint"/>, or checks that an existing one was made for it.</summary>
    /// <exception cref="InvalidOperationException">The directory belongs to a different experiment.</exception>
    public void Claim(IReadOnlyDictionary<string, string> fingerprint)
    {
        System.IO.Directory.CreateDirectory(TrialsDirectory);
        if (File.Exists(ExperimentFile))
        {
            var existing = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(ExperimentFile)) ?? [];
            var differences = fingerprint.Keys.Union(existing.Keys)
                .Where(k => fingerprint.GetValueOrDefault(k) != existing.GetValueOrDefault(k))
                .Select(k => $"{k}: this run has '{fingerprint.GetValueOrDefault(k)}', the directory has '{existing.GetValueOrDefault(k)}'")
                .ToList();
            if (differences.Count > 0)
                throw new InvalidOperationException($"Run directory {Directory} belongs to a different experiment ({string.Join("; ", differences)}). Use a new directory, or the same experiment to resume.");
            return;
        }
        WriteAtomically(ExperimentFile, JsonSerializer.Serialize(fingerprint, Json));
    }

    /// <summary>The fingerprint stored in the directory, or null.</summary>
    public Dictionary<string, string>? ReadFingerprint() =>
        File.Exists(ExperimentFile) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(ExperimentFile)) : null;

    /// <summary>True when trial <paramref name="id"/> has a record.</summary>
    public bool IsFinished(string id) => File.Exists(PathOf(id));

    /// <summary>Writes a trial record atomically.</summary>
    public void Write(TrialResult result) => WriteAtomically(PathOf(result.Id), JsonSerializer.Serialize(result, Json));

    /// <summary>Every trial record, by index. Stray temporary files of killed writers are ignored.</summary>
    public IReadOnlyList<TrialResult> ReadAll()
    {
        if (!System.IO.Directory.Exists(TrialsDirectory)) return [];
        return System.IO.Directory.EnumerateFiles(TrialsDirectory, "*.json")
            .Select(f => JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(f), Json)
                ?? throw new InvalidDataException($"{f} is empty."))
            .OrderBy(r => r.Index).ToList();
    }

    /// <summary>Rebuilds summary.jsonl and summary.csv from the trial records.</summary>
    public void WriteSummary()
    {
        var trials = ReadAll();
        var jsonl = new StringBuilder();
        foreach (var t in trials) jsonl.AppendLine(JsonSerializer.Serialize(t with { LossCurve = [] }, new JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));
        WriteAtomically(Path.Combine(Directory, "summary.jsonl"), jsonl.ToString());

        var names = trials.SelectMany(t => t.Parameters.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', new[] { "id", "status" }.Concat(names).Concat(["total_params", "non_embedding_params", "attention_params", "mlp_params", "perplexity", "bits_per_byte", "seconds_to_threshold", "tokens_per_second", "mfu", "peak_rss_mb", "train_seconds", "steps", "error"])));
        var ci = CultureInfo.InvariantCulture;
        foreach (var t in trials)
        {
            var cells = new List<string> { t.Id, t.Status.ToString() };
            cells.AddRange(names.Select(n => t.Parameters.GetValueOrDefault(n, "")));
            cells.AddRange([t.TotalParameters.ToString(ci), t.NonEmbeddingParameters.ToString(ci), t.AttentionParameters.ToString(ci), t.MlpParameters.ToString(ci),
                t.Perplexity?.ToString("R", ci) ?? "", t.BitsPerByte?.ToString("R", ci) ?? "", t.SecondsToThreshold?.ToString("F2", ci) ?? "",
                t.TokensPerSecond.ToString("F0", ci), t.Mfu.ToString("F4", ci), (t.PeakResidentBytes / 1048576.0).ToString("F0", ci), t.TrainSeconds.ToString("F1", ci),
                t.Steps.ToString(ci), Csv(t.Error)]);
            csv.AppendLine(string.Join(',', cells));
        }
        WriteAtomically(Path.Combine(Directory, "summary.csv"), csv.ToString());
    }

    string PathOf(string id) => Path.Combine(TrialsDirectory, id + ".json");

    static string Csv(string? s) => s is null ? "" : "\"" + s.Replace("\"", "\"\"").ReplaceLineEndings(" ") + "\"";

    internal static void WriteAtomically(string path, string content) => Training.AtomicFile.WriteText(path, content);
}
