// The --hostile kinds: what a hostile or careless user hands the library instead of a damaged file. Special files (a
// FIFO, a link to /dev/zero, a folder) and inflation bombs where a file is read; identifiers that name paths (a
// record's Id, a manifest's shard) pointing outside their directory; budgets at every numeric edge. The property is the
// harness's: a clear refusal or correct use, within the time limit (a blocked open is a finding), under the memory cap
// — and here also that no file outside the case's run directory changes.
using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Fuzz;

/// <summary>A reader given a FIFO, a symbolic link to /dev/zero, a folder, or (model zips) an entry that inflates a
/// thousandfold, where its file should be.</summary>
sealed class SpecialFileTarget : Target
{
    public override string Kind => "special file";

    static readonly string[] Readers = ["model zip", "tiktoken", "shard manifest", "text corpus", "jsonl corpus"];
    static readonly string[] Forms = ["FIFO", "link to /dev/zero", "folder", "inflation bomb"];

    static string PathFor(string reader, string dir) => reader switch
    {
        "model zip" => Path.Combine(dir, "model.zip"),
        "tiktoken" => Path.Combine(dir, "ranks.tiktoken"),
        "shard manifest" => Path.Combine(dir, "shards", ShardManifest.FileName),
        "text corpus" => Path.Combine(dir, "corpus", "a.txt"),
        _ => Path.Combine(dir, "docs.jsonl"),
    };

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        string reader = Readers[rng.Next(Readers.Length)];
        string form = Forms[rng.Next(reader == "model zip" ? Forms.Length : Forms.Length - 1)];
        string path = PathFor(reader, dir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(Path.Combine(dir, "reader"), reader);
        switch (form)
        {
            case "FIFO": System.Diagnostics.Process.Start("mkfifo", [path])!.WaitForExit(); break;
            case "link to /dev/zero": File.CreateSymbolicLink(path, "/dev/zero"); break;
            case "folder": Directory.CreateDirectory(path); break;
            default:
            {
                // The seed model with its weights entry followed by 200 MB of zeros: about 200 KB on disk.
                File.Copy(seeds.ModelZip, path);
                using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
                var entry = zip.Entries.First(e => e.Name == "LowRank.bin" && e.Length > 10_000);
                string name = entry.FullName;
                using var original = new MemoryStream();
                using (var s = entry.Open()) s.CopyTo(original);
                entry.Delete();
                using var w = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                w.Write(original.ToArray());
                var zeros = new byte[1 << 20];
                for (int i = 0; i < 200; i++) w.Write(zeros);
                break;
            }
        }
        return $"{reader}: {form}";
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        string reader = File.ReadAllText(Path.Combine(dir, "reader"));
        string path = PathFor(reader, dir);
        switch (reader)
        {
            case "model zip": new MLContext(1).LowRank().LoadModel(path).GetLanguageModel().Dispose(); break;
            case "tiktoken": LmTokenizer.FromTiktokenFile(path); break;
            case "shard manifest": ShardManifest.Read(Path.GetDirectoryName(path)!); break;
            case "text corpus": CorpusReaders.TextFiles(Path.GetDirectoryName(path)!).ToList(); break;
            default: CorpusReaders.Jsonl(path).ToList(); break;
        }
    }

    public override bool IsRefusal(Exception e) => e is InvalidDataException or FileNotFoundException;
}

/// <summary>Identifiers read from files that become paths: a trial record's Id, best.json's trial, a manifest's shard
/// name, set to a relative or absolute path outside the run directory where a victim file waits. Any change to the
/// victim is a finding; the records must still read (a bad one skipped), the manifest be refused.</summary>
sealed class IdentifierTarget : Target
{
    public override string Kind => "identifiers";

    static readonly string[] Escapes =
        ["../victim", "../../victim", "{dir}/victim", "trial-000-0000000000005eed/../../victim", "..", "trial-000-0000000000005eed.json"];

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        string run = Path.Combine(dir, "run", "inner");
        foreach (var d in Directory.GetDirectories(seeds.RunDirectory, "*",
            SearchOption.AllDirectories)) Directory.CreateDirectory(Path.Combine(run,
            Path.GetRelativePath(seeds.RunDirectory, d)));
        foreach (var f in Directory.GetFiles(seeds.RunDirectory, "*", SearchOption.AllDirectories)) File.Copy(f,
            Path.Combine(run, Path.GetRelativePath(seeds.RunDirectory, f)));
        foreach (var f in Directory.GetFiles(seeds.ShardDirectory)) { Directory
            .CreateDirectory(Path.Combine(dir, "shards")); File.Copy(f,
            Path.Combine(dir, "shards", Path.GetFileName(f))); }
        string escape = Escapes[rng.Next(Escapes.Length)].Replace("{dir}", dir);
        // Victims wherever an escape could land: beside the run, above it, as a model and as a shard.
        foreach (var v in new[] { Path.Combine(dir, "victim"), Path.Combine(dir, "run", "victim") })
            foreach (var ext in new[] { ".zip", ".json", ".bin", ".ckpt" }) File.WriteAllText(v + ext, "victim");
        switch (rng.Next(3))
        {
            case 0:
            {
                string record = Directory.GetFiles(Path.Combine(run, "trials"), "*.json")[0];
                var json = JsonNode.Parse(File.ReadAllText(record))!.AsObject();
                json["Id"] = escape;
                File.WriteAllText(record, json.ToJsonString());
                File.WriteAllText(Path.Combine(dir, "where"), "record");
                return $"record Id := {escape}";
            }
            case 1:
                Directory.CreateDirectory(Path.Combine(run, "models"));
                File.WriteAllText(Path.Combine(run, "models", "best.json"),
                    new JsonObject { ["trial"] = escape }.ToJsonString());
                File.WriteAllText(Path.Combine(dir, "where"), "best.json");
                return $"best.json trial := {escape}";
            default:
            {
                string manifest = Path.Combine(dir, "shards", ShardManifest.FileName);
                var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
                json["Shards"]!.AsArray()[0]!["File"] = escape + ".bin";
                File.WriteAllText(manifest, json.ToJsonString());
                File.WriteAllText(Path.Combine(dir, "where"), "manifest");
                return $"manifest shard := {escape}.bin";
            }
        }
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        string run = Path.Combine(dir, "run", "inner");
        try
        {
            if (File.ReadAllText(Path.Combine(dir, "where")) == "manifest")
            {
                using (TokenShards.Open(Path.Combine(dir, "shards"), "train", out _)) { }
                return;
            }
            var store = new ResultStore(run);
            foreach (var r in store.ReadAll()) store.IsFinished(r.Id);
            Directory.CreateDirectory(Path.Combine(run, "models"));
            MLNet.LowRank.Experiments.Search.BestModel.Publish(Path.Combine(run, "models"), store,
                ExperimentObjective.Perplexity, keepEveryModel: false);
        }
        finally
        {
            foreach (var v in Directory.GetFiles(dir, "victim.*", SearchOption.AllDirectories))
                if (File.ReadAllText(v) != "victim")
                    throw new InvalidOperationException($"a file outside the run directory changed: {v}");
            foreach (var v in new[] { Path.Combine(dir, "victim"), Path.Combine(dir, "run", "victim") })
                foreach (var ext in new[] { ".zip", ".json", ".bin", ".ckpt" })
                    if (!File.Exists(v + ext))
                        throw new InvalidOperationException($"a file outside the run directory was deleted: {v + ext}");
        }
    }
}

/// <summary>Sweep budgets at their numeric edges (0, −1, NaN, infinity, 1e300, 2³¹, fractions) in a sweep config, then
/// the experiment's per-trial budget: refused by name, or accepted with exactly the value written.</summary>
sealed class BudgetTarget : Target
{
    public override string Kind => "budget";

    static readonly string[] Keys =
        ["trialSteps", "trialTokens", "trialSeconds", "evalEvery", "evalTokens", "threads", "experimentMinutes"];
    static readonly string[] Values =
        ["0", "-1", "-2", "1", "2.5", "1e300", "-1e300", "2147483648", "9223372036854775807", "1e-300", "\"NaN\"", "\"Infinity\"", "3", "100"];

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        string key = Keys[rng.Next(Keys.Length)], value = Values[rng.Next(Values.Length)];
        var json = JsonNode.Parse(File.ReadAllText(seeds.SweepConfig))!.AsObject();
        json[key] = JsonNode.Parse(value);
        File.WriteAllText(Path.Combine(dir, "sweep.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "edge"), $"{key}={value}");
        return $"{key} := {value}";
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        var config = ExperimentSpec.Load(Path.Combine(dir, "sweep.json"));
        config.Configure(new MLContext(seed: 1).LowRank().CreateExperiment());
        // Accepted: the value must be the one written, in range (never saturated, truncated or wrapped).
        var (key, value) = File.ReadAllText(Path.Combine(dir, "edge")).Split('=') is var p ? (p[0], p[1]) : default;
        double written = double.Parse(value.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
        double? read = key switch
        {
            "trialSteps" => config.TrialBudget?.Steps, "trialTokens" => config.TrialBudget?.Tokens, "trialSeconds" =>
                config.TrialBudget?.Seconds,
            "evalEvery" => config.Baseline.Training.EvalEvery, "evalTokens" => config.Baseline.Training.EvalTokens,
            "threads" => config.Baseline.Training.Threads, _ => config.ExperimentMinutes,
        };
        if (read != written) throw new InvalidOperationException($"{key} = {value} was accepted as {read}");
    }

    public override bool IsRefusal(Exception e) =>
        e is ArgumentException or FormatException or System.Text.Json.JsonException;
}
