// The run directory: experiment.json (what the experiment is, to refuse mixing), trials/<id>.json (one per finished
// trial, written to a temporary file and renamed, so a kill never leaves half a record), summary.jsonl and summary.csv
// (rebuilt from the trial files). Successive halving adds rungs/<id>.r<k>.json (each rung a trial reached),
// checkpoints/<id>.ckpt (paused trials) and claims/ (runs under way, so shards never run one twice: TrialClaims).
// Several processes (shards, hosts) can share one directory: they write different trials.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MLNet.LowRank.Experiments;

/// <summary>Reads and writes a sweep's run directory.</summary>
public sealed class ResultStore
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

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

    /// <summary>Creates the directory for <paramref name="fingerprint"/>, or checks that an existing one was made for
    /// it.</summary>
    /// <exception cref="InvalidOperationException">The directory belongs to a different experiment.</exception>
    /// <remarks>A key the stored fingerprint lacks matches when this run's value is what <paramref name="absentMeans"/>
    /// gives for it: an option added after the directory was made was at its default then. A key in
    /// <paramref name="adoptable"/> the stored fingerprint lacks is taken from this run and written into it, so later
    /// runs are checked against it.</remarks>
    public void Claim(IReadOnlyDictionary<string, string> fingerprint,
        IReadOnlyDictionary<string, string>? absentMeans = null, IReadOnlyCollection<string>? adoptable = null)
    {
        System.IO.Directory.CreateDirectory(TrialsDirectory);
        if (File.Exists(ExperimentFile))
        {
            var existing = ReadFingerprint() ?? [];
            var adopted = (adoptable ?? []).Where(k => !existing.ContainsKey(k) && fingerprint.ContainsKey(k)).ToList();
            var differences = Differences(existing, fingerprint, absentMeans, adoptable);
            if (differences.Count > 0)
                throw new InvalidOperationException($"Run directory {Directory} belongs to a different experiment " +
                    $"({string.Join("; ", differences)}). Use a new directory, or the same experiment to resume.");
            if (adopted.Count > 0)
            {
                foreach (var k in adopted) existing[k] = fingerprint[k];
                WriteAtomically(ExperimentFile,
                    JsonSerializer.Serialize(new SortedDictionary<string, string>(existing, StringComparer.Ordinal),
                    Json));
            }
            return;
        }
        // Created exclusively: of two processes claiming a new directory at once, one writes it and the other checks
        // its fingerprint against what the first wrote.
        string temporary =
            ExperimentFile + $".{Common.HostIdentity.ProcessId}@{Common.HostIdentity.Name}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(fingerprint, Json));
        try { File.Move(temporary, ExperimentFile, overwrite: false); }
        catch (IOException) when (File.Exists(ExperimentFile))
        {
            File.Delete(temporary);
            Claim(fingerprint, absentMeans, adoptable);
        }
    }

    /// <summary>How <paramref name="fingerprint"/> differs from <paramref name="stored"/>, one "key: this run has 'a',
    /// the directory has 'b'" per key; empty when they name one experiment. A key <paramref name="stored"/> lacks
    /// stands for what <paramref name="absentMeans"/> gives (an option added since was at its default then), or matches
    /// when it is in <paramref name="adoptable"/> (recorded from the first run that has it). Keys in
    /// <paramref name="ignore"/> are not compared.</summary>
    internal static List<string> Differences(IReadOnlyDictionary<string, string> stored,
        IReadOnlyDictionary<string, string> fingerprint,
        IReadOnlyDictionary<string, string>? absentMeans, IReadOnlyCollection<string>? adoptable,
        IReadOnlyCollection<string>? ignore = null)
    {
        string? Stored(string k) => stored.TryGetValue(k, out var v) ? v
            : (adoptable ?? []).Contains(k) && fingerprint.ContainsKey(k) ? fingerprint[k]
            : absentMeans?.GetValueOrDefault(k);
        return [.. fingerprint.Keys.Union(stored.Keys)
            .Where(k => !(ignore ?? []).Contains(k) && fingerprint.GetValueOrDefault(k) != Stored(k))
            .Select(k => $"{k}: this run has '{fingerprint.GetValueOrDefault(k)}', the directory has '{Stored(k)}'")];
    }

    /// <summary>The fingerprint stored in the directory, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">experiment.json is damaged: the directory's identity is unknown, so
    /// nothing may be added to it (or copied from it) until it is repaired or the directory replaced.</exception>
    public Dictionary<string, string>? ReadFingerprint()
    {
        if (!File.Exists(ExperimentFile)) return null;
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(ExperimentFile))
            ?? throw new JsonException("it holds null"); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ExperimentFile} is damaged ({e.Message}), so what experiment this " +
                $"directory holds is unknown. Restore it (it is small text: a backup or another shard's copy), or " +
                $"use a new run directory.", e);
        }
    }

    /// <summary>True when trial <paramref name="id"/> has a readable record that is final: a damaged record, and one
    /// of a transient failure (<see cref="TrialResult.Transient"/>), do not count, so the trial runs again.</summary>
    public bool IsFinished(string id) => TryRead(PathOf(id), out var record, out _) && !record!.Transient;

    /// <summary>Writes a trial record atomically. A damaged record already there is kept beside it as
    /// <c>&lt;id&gt;.json.corrupt</c>, so nothing a user might want to inspect is lost.</summary>
    public void Write(TrialResult result)
    {
        string path = PathOf(result.Id);
        if (File.Exists(path) && !TryRead(path, out _, out _)) File.Move(path, path + ".corrupt", overwrite: true);
        WriteAtomically(path, JsonSerializer.Serialize(result, Json));
    }

    /// <summary>The records <see cref="ReadAll"/> last skipped because they could not be read, each with the
    /// reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> Unreadable { get; private set; } = [];

    /// <summary>Every readable trial record, by index. A record that cannot be read (cut short by a full disk, edited
    /// by hand) is skipped and listed in <see cref="Unreadable"/> rather than aborting the sweep or its report; stray
    /// temporary files of killed writers are ignored.</summary>
    public IReadOnlyList<TrialResult> ReadAll()
    {
        if (!System.IO.Directory.Exists(TrialsDirectory)) { Unreadable = []; return []; }
        var records = new List<TrialResult>();
        var unreadable = new List<(string, string)>();
        foreach (var f in System.IO.Directory.EnumerateFiles(TrialsDirectory, "*.json").Order(StringComparer.Ordinal))
            if (TryRead(f, out var r, out var why)) records.Add(r!); else unreadable.Add((f, why!));
        Unreadable = unreadable;
        return records.OrderBy(r => r.Index).ToList();
    }

    static bool TryRead(string path, out TrialResult? record, out string? why)
    {
        record = null;
        why = null;
        try
        {
            if (!File.Exists(path)) { why = "missing"; return false; }
            record = JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(path), Json);
            if (record is null
                || string.IsNullOrEmpty(record.Id)) { why = "it holds no trial record"; record = null; return false; }
            // The record's Id names files (models, checkpoints, best.zip's source): it must be a trial id, and the one
            // its own file is named by (trial-NNN-….json, or ….r<k>.json for a rung), or a forged record could point
            // a sweep at any file.
            string name = Path.GetFileNameWithoutExtension(path);
            int rung = name.LastIndexOf(".r", StringComparison.Ordinal);
            string expected = rung > 0 && Path.GetFileName(Path.GetDirectoryName(path)) == "rungs" ? name[..rung]
                : name;
            if (!TrialKey.IsFileId(record.Id) || record.Id != expected)
            {
                why = $"its Id '{Truncate(record.Id)}' is not the trial id its file name gives " +
                    $"('{Truncate(expected)}'); a record's Id names files, so such a record is ignored";
                record = null;
                return false;
            }
            return true;
        }
        catch (JsonException e) { why = $"not a valid trial record ({e.Message})"; return false; }
        // A record this process may not read (permissions) or that vanished mid-read is skipped and named like a
        // damaged one: one bad file never stops a whole shard or report.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { why = $"it cannot be read " +
            $"({e.Message})"; return false; }
        catch (NotSupportedException e) { why = $"not a valid trial record ({e.Message})"; return false; }
    }

    /// <summary>Rebuilds summary.jsonl and summary.csv from the trial records.</summary>
    public void WriteSummary()
    {
        var trials = ReadAll();
        var jsonl = new StringBuilder();
        foreach (var t in trials) jsonl.AppendLine(JsonSerializer.Serialize(t with { LossCurve = [] },
            new JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));
        WriteAtomically(Path.Combine(Directory, "summary.jsonl"), jsonl.ToString());

        var names = trials.SelectMany(t => t.Parameters.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',',
            new[] { "id", "status" }.Concat(names)
            .Concat(["total_params", "non_embedding_params", "attention_params", "mlp_params", "perplexity", "bits_per_byte", "seconds_to_threshold", "tokens_per_second", "mfu", "peak_rss_mb", "train_seconds", "steps", "error"])));
        var ci = CultureInfo.InvariantCulture;
        foreach (var t in trials)
        {
            var cells = new List<string> { t.Id, t.Status.ToString() };
            cells.AddRange(names.Select(n => t.Parameters.GetValueOrDefault(n, "")));
            cells.AddRange([t.TotalParameters.ToString(ci), t.NonEmbeddingParameters.ToString(ci),
                t.AttentionParameters.ToString(ci), t.MlpParameters.ToString(ci),
                t.Perplexity?.ToString("R", ci) ?? "", t.BitsPerByte?.ToString("R", ci) ?? "",
                    t.SecondsToThreshold?.ToString("F2", ci) ?? "",
                t.TokensPerSecond.ToString("F0", ci), t.Mfu.ToString("F4", ci),
                    (t.PeakResidentBytes / 1048576.0).ToString("F0", ci), t.TrainSeconds.ToString("F1", ci),
                t.Steps.ToString(ci), Csv(t.Error)]);
            csv.AppendLine(string.Join(',', cells));
        }
        WriteAtomically(Path.Combine(Directory, "summary.csv"), csv.ToString());
    }

    string PathOf(string id) => Path.Combine(TrialsDirectory, TrialKey.CheckFileId(id) + ".json");

    static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";

    /// <summary>Where successive halving keeps each rung's record.</summary>
    public string RungsDirectory => Path.Combine(Directory, "rungs");

    /// <summary>Where paused trials' checkpoints live.</summary>
    public string CheckpointsDirectory => Path.Combine(Directory, "checkpoints");

    string ClaimsDirectory => Path.Combine(Directory, "claims");

    /// <summary>The checkpoint of trial <paramref name="id"/>.</summary>
    public string CheckpointOf(string id) => Path.Combine(CheckpointsDirectory, TrialKey.CheckFileId(id) + ".ckpt");

    /// <summary>Writes the record of trial <paramref name="result"/> at rung <paramref name="rung"/>.</summary>
    public void WriteRung(TrialResult result, int rung)
    {
        System.IO.Directory.CreateDirectory(RungsDirectory);
        string path = RungPath(result.Id, rung);
        if (File.Exists(path) && !TryRead(path, out _, out _)) File.Move(path, path + ".corrupt", overwrite: true);
        WriteAtomically(path, JsonSerializer.Serialize(result with { LossCurve = [] }, Json));
    }

    string RungPath(string id, int rung) => Path.Combine(RungsDirectory,
        FormattableString.Invariant($"{TrialKey.CheckFileId(id)}.r{rung}.json"));

    /// <summary>True when trial <paramref name="id"/> has a readable record at rung <paramref name="rung"/>.</summary>
    public bool HasRung(string id, int rung) => TryRead(RungPath(id, rung), out _, out _);

    /// <summary>Every readable rung record, by (trial id, rung). A damaged one is skipped (that rung runs again) and,
    /// like a trial record, kept as <c>.corrupt</c> when the rung is written again.</summary>
    public IReadOnlyDictionary<(string Id, int Rung), TrialResult> ReadRungs()
    {
        var rungs = new Dictionary<(string, int), TrialResult>();
        if (!System.IO.Directory.Exists(RungsDirectory)) return rungs;
        foreach (var f in System.IO.Directory.EnumerateFiles(RungsDirectory, "*.json"))
        {
            string name = Path.GetFileNameWithoutExtension(f);
            int dot = name.LastIndexOf(".r", StringComparison.Ordinal);
            if (dot < 0 || !int.TryParse(name[(dot + 2)..], NumberStyles.Integer, CultureInfo.InvariantCulture,
                out int rung)) continue;
            if (TryRead(f, out var record, out _)) rungs[(name[..dot], rung)] = record!;
        }
        return rungs;
    }

    /// <summary>Removes the rung record of (<paramref name="id"/>, <paramref name="rung"/>), so that rung runs
    /// again.</summary>
    internal void DeleteRung(string id, int rung) => File.Delete(RungPath(id, rung));

    /// <summary>The claims on runs under way (see <see cref="TrialClaims"/>).</summary>
    internal TrialClaims Claims(TimeSpan staleAfter) => new(ClaimsDirectory, staleAfter);

    static string Csv(string? s) => s is null ? "" : "\"" + s.Replace("\"", "\"\"").ReplaceLineEndings(" ") + "\"";

    internal static void WriteAtomically(string path, string content) => Common.AtomicFile.WriteText(path, content);
}
