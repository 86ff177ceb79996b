// One target per file kind: how to make a mutated copy of its seed in a case's directory, how the library reads (and,
// when it accepts the file, uses) it, and which exceptions count as a clear refusal. Anything else a reader throws —
// an ExternalException from libtorch, OutOfMemoryException, overflow, NullReference, IndexOutOfRange — is a finding.
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Fuzz;

abstract class Target
{
    public abstract string Kind { get; }

    /// <summary>Writes a mutated copy of the seed into <paramref name="dir"/> (empty); returns what was done.</summary>
    public abstract string Mutate(Random rng, Seeds seeds, string dir);

    /// <summary>Reads (and, when accepted, uses) what <see cref="Mutate"/> wrote; throws when the file is
    /// refused.</summary>
    public abstract void Exercise(Seeds seeds, string dir);

    /// <summary>True when <paramref name="e"/> is a clear refusal: the library's own InvalidDataException by
    /// default.</summary>
    public virtual bool IsRefusal(Exception e) => e is InvalidDataException;

    public static IReadOnlyList<Target> All { get; } =
    [
        new ModelZipTarget(), new CheckpointTarget(), new SafeTensorsTarget(), new PtTarget(),
            new TokenizerBlobTarget(),
        new TiktokenTarget(), new ShardTarget(), new RecordTarget(), new SweepConfigTarget(),
    ];

    /// <summary>The --hostile kinds (HostileTargets.cs).</summary>
    public static IReadOnlyList<Target> Hostile { get; } = [new SpecialFileTarget(), new IdentifierTarget(),
        new BudgetTarget()];

    protected static string CopyWith(string source, string dir, byte[] data)
    {
        string path = Path.Combine(dir, Path.GetFileName(source));
        File.WriteAllBytes(path, data);
        return path;
    }
}

/// <summary>Model zips: an entry's content mutated (the payload at its fields' boundaries) and the archive rebuilt, a
/// size field forged, or the raw archive mutated.</summary>
sealed class ModelZipTarget : Target
{
    public override string Kind => "model zip";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        byte[] zip = File.ReadAllBytes(seeds.ModelZip);
        string path = Path.Combine(dir, "model.zip");
        switch (rng.Next(4))
        {
            case 0:
            case 1:
            {
                var entries = Mutations.ReadZip(zip);
                int payload = entries.FindIndex(e => e.Name.EndsWith("LowRank.bin",
                    StringComparison.Ordinal) && IndexOf(e.Data, seeds.WeightsBlob.AsSpan(0, 64)) >= 0);
                int pick = rng.Next(3) > 0 && payload >= 0 ? payload : rng.Next(entries.Count);
                var data = entries[pick].Data;
                int at = IndexOf(data, seeds.WeightsBlob.AsSpan(0, 64));
                var boundaries = at < 0 ? new List<int>() : seeds.WeightsBoundaries.Select(b => b + at).ToList();
                var (mutated, what) = Mutations.Bytes(rng, data, boundaries);
                entries[pick] = (entries[pick].Name, mutated);
                File.WriteAllBytes(path, Mutations.WriteZip(entries));
                return $"entry {entries[pick].Name}: {what}";
            }
            case 2:
            {
                var (forged,
                    what) = Mutations.ForgeZipSizes(rng,
                    Mutations.WriteZip(Mutations.ReadZip(zip), store: rng.Next(2) == 0));
                File.WriteAllBytes(path, forged);
                return what;
            }
            default:
            {
                var (mutated, what) = Mutations.Bytes(rng, zip, []);
                File.WriteAllBytes(path, mutated);
                return $"archive: {what}";
            }
        }
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.LowRank().LoadModel(Path.Combine(dir, "model.zip"));
        using var lm = model.GetLanguageModel();
        lm.Generate("The quick", maxTokens: 3, temperature: 0);
    }

    internal static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}

/// <summary>Checkpoints: the header's fields and the weights blob inside at their boundaries.</summary>
sealed class CheckpointTarget : Target
{
    public override string Kind => "checkpoint";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        byte[] data = File.ReadAllBytes(seeds.CheckpointFile);
        int at = ModelZipTarget.IndexOf(data, seeds.WeightsBlob.AsSpan(0, 64));
        var boundaries = new List<int> { 0 };
        if (at >= 0) boundaries.AddRange(seeds.WeightsBoundaries.Select(b => b + at));
        // The optimizer section follows the weights: its count and each state tensor's header.
        if (at >= 0) boundaries.Add(at + seeds.WeightsBlob.Length);
        var (mutated, what) = Mutations.Bytes(rng, data, boundaries);
        CopyWith(seeds.CheckpointFile, dir, mutated);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        using var model = Gpt.Create(seeds.Config, seed: 1);
        var optimizers = seeds.Training.Optimizer.Create(model, seeds.Training);
        try { Checkpoint.Read(Path.Combine(dir, "seed.ckpt"), Seeds.CheckpointFingerprint, () => null, model,
            optimizers, allowChangedTraining: false, out _); }
        finally { foreach (var o in optimizers) o.Dispose(); }
    }

    // A fingerprint that no longer matches is the checkpoint reader's own refusal ("written by a different run").
    public override bool IsRefusal(Exception e) => base.IsRefusal(e) || e is InvalidOperationException
        && e.Message.Contains("different run", StringComparison.Ordinal);
}

/// <summary>safetensors: the header's JSON (overlapping and out-of-range offsets, huge shapes, unknown dtypes,
/// duplicate names), its length field, and the data.</summary>
sealed class SafeTensorsTarget : Target
{
    public override string Kind => "safetensors";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        byte[] data = File.ReadAllBytes(seeds.SafeTensorsFile);
        // No JSON beside: the configuration travels in the metadata, and a JSON naming the original weights' hash would
        // refuse every mutation before the safetensors reader saw it.
        long headerLength = BitConverter.ToInt64(data, 0);
        string header = Encoding.UTF8.GetString(data, 8, (int)headerLength);
        byte[] body = data[(8 + (int)headerLength)..];
        string what;
        switch (rng.Next(4))
        {
            case 0:
            {
                // Structure-aware: one tensor's range set to another's (overlap) or beyond the data.
                var root = JsonNode.Parse(header)!.AsObject();
                var names = root.Where(kv => kv.Key != "__metadata__").Select(kv => kv.Key).ToList();
                string a = names[rng.Next(names.Count)], b = names[rng.Next(names.Count)];
                var offsets = rng.Next(2) == 0 ? root[b]!["data_offsets"]!.DeepClone() : new JsonArray(0,
                    (long)body.Length * 1000);
                root[a]!["data_offsets"] = offsets;
                header = root.ToJsonString();
                what = $"{a}.data_offsets := {offsets.ToJsonString()}";
                break;
            }
            case 1:
            {
                (header, what) = Mutations.Json(rng, header);
                break;
            }
            case 2:
            {
                var root = JsonNode.Parse(header)!.AsObject();
                var names = root.Where(kv => kv.Key != "__metadata__").Select(kv => kv.Key).ToList();
                string a = names[rng.Next(names.Count)];
                root[a]!["shape"] = new JsonArray(1L << 31, 1L << 31, 1L << 31);
                header = root.ToJsonString();
                what = $"{a}.shape := [2^31, 2^31, 2^31]";
                break;
            }
            default:
            {
                var (mutated, w) = Mutations.Bytes(rng, data, [0, 8, 8 + (int)headerLength]);
                CopyWith(seeds.SafeTensorsFile, dir, mutated);
                return w;
            }
        }
        byte[] h = Encoding.UTF8.GetBytes(header);
        CopyWith(seeds.SafeTensorsFile, dir, [.. BitConverter.GetBytes((long)h.Length), .. h, .. body]);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        using var model = GptExport.Load(Path.Combine(dir, "weights.safetensors"));
    }
}

/// <summary>torch.save files (a zip of a pickle and raw storages) with the JSON beside them; half the cases rewrite the
/// JSON's weights hash to match the mutation, so the mutated archive reaches the unpickler.</summary>
sealed class PtTarget : Target
{
    public override string Kind => ".pt export";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        byte[] zip = File.ReadAllBytes(seeds.PtFile);
        string json = File.ReadAllText(Path.ChangeExtension(seeds.PtFile, ".json"));
        byte[] mutated;
        string what;
        if (rng.Next(5) == 0)
        {
            (json, what) = Mutations.Json(rng, json);
            what = "JSON: " + what;
            mutated = zip;
        }
        else
        {
            var entries = Mutations.ReadZip(zip);
            int pick = rng.Next(entries.Count);
            var (data, w) = Mutations.Bytes(rng, entries[pick].Data, []);
            entries[pick] = (entries[pick].Name, data);
            mutated = rng.Next(4) == 0 ? Mutations.ForgeZipSizes(rng,
                Mutations.WriteZip(entries, store: true)).Data : Mutations.WriteZip(entries, store: true);
            what = $"entry {entries[pick].Name}: {w}";
            if (rng.Next(2) == 0)
            {
                var node = JsonNode.Parse(json)!.AsObject();
                node[GptExport.WeightsHashKey] = Convert.ToHexStringLower(SHA256.HashData(mutated));
                json = node.ToJsonString();
                what += " (weights hash updated)";
            }
        }
        CopyWith(seeds.PtFile, dir, mutated);
        File.WriteAllText(Path.Combine(dir, "state.json"), json);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        using var model = GptExport.Load(Path.Combine(dir, "state.pt"));
    }
}

/// <summary>The tokenizer blob that model zips and shard manifests carry: its fields, and its pattern replaced by one
/// that backtracks catastrophically.</summary>
sealed class TokenizerBlobTarget : Target
{
    static readonly string[] Pathological = [@"(a+)+$", @"(x+x+)+y", @"(a|aa)+$", @"((a*)*)*b", @"(\w+\s?)+$"];

    public override string Kind => "tokenizer blob";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        byte[] data = File.ReadAllBytes(seeds.TokenizerBlob);
        if (rng.Next(4) == 0)
        {
            using var r = new BinaryReader(new MemoryStream(data), Encoding.UTF8);
            // Layout: kind ("bpe": the GPT-2 pattern, or "bpe-pattern" and the pattern), name, then the ranks; written
            // again as "bpe-pattern" with a pathological pattern.
            string kind = r.ReadString(), name = r.ReadString();
            string pattern = kind == TiktokenLmTokenizer.TrainedWithPatternKind ? r.ReadString() : "GPT-2's";
            byte[] rest = data[(int)r.BaseStream.Position..];
            string evil = Pathological[rng.Next(Pathological.Length)];
            var m = new MemoryStream();
            using (var w = new BinaryWriter(m, Encoding.UTF8,
                leaveOpen: true)) { w.Write(TiktokenLmTokenizer.TrainedWithPatternKind); w.Write(name); w.Write(evil); w
                .Write(rest); }
            CopyWith(seeds.TokenizerBlob, dir, m.ToArray());
            return $"pattern {pattern} := {evil}";
        }
        var (mutated, what) = Mutations.Bytes(rng, data, seeds.TokenizerBoundaries);
        CopyWith(seeds.TokenizerBlob, dir, mutated);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        using var r = new BinaryReader(File.OpenRead(Path.Combine(dir, "tokenizer.bin")), Encoding.UTF8);
        var tokenizer = LmTokenizer.Read(r);
        // Text a backtracking pattern chokes on, and ordinary text.
        tokenizer.Decode(tokenizer.Encode(new string('a', 40) + "!"));
        tokenizer.Decode(tokenizer.Encode(Seeds.Texts[0]));
    }

    // Encoding with a pattern that times out is refused with the tokenizer's own message.
    public override bool IsRefusal(Exception e) => base.IsRefusal(e)
        || e is InvalidOperationException { InnerException: RegexMatchTimeoutException };
}

/// <summary>tiktoken rank files: a line's rank made huge or negative, a token duplicated, base64 broken, lines
/// dropped.</summary>
sealed class TiktokenTarget : Target
{
    public override string Kind => "tiktoken";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        var lines = File.ReadAllLines(seeds.TiktokenFile).ToList();
        int i = rng.Next(lines.Count);
        string what;
        var parts = lines[i].Split(' ');
        switch (rng.Next(6))
        {
            case 0: lines[i] = $"{parts[0]} {new[] { "2147483647", "-1", "99999999999", "4294967296", "1e9" }[rng.Next(5)]}"; what = $"line {i}: rank := {lines[i].Split(' ')[1]}"; break;
            case 1: lines.Insert(rng.Next(lines.Count), lines[i]); what = $"line {i} duplicated"; break;
            case 2: lines[i] = "!!" + lines[i]; what = $"line {i}: base64 broken"; break;
            case 3: lines.RemoveRange(i,
            Math.Min(lines.Count - i, 1 + rng.Next(50))); what = $"lines from {i} dropped"; break;
            case 4: lines[i] = $"{Convert.ToBase64String(new byte[1 << 16])} {parts.ElementAtOrDefault(1)}"; what = $"line {i}: a 64 KiB token"; break;
            default:
            {
                var (mutated, w) = Mutations.Bytes(rng, Mutations.Utf8(string.Join('\n', lines)), []);
                File.WriteAllBytes(Path.Combine(dir, "ranks.tiktoken"), mutated);
                return w;
            }
        }
        File.WriteAllLines(Path.Combine(dir, "ranks.tiktoken"), lines);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        var tokenizer = LmTokenizer.FromTiktokenFile(Path.Combine(dir, "ranks.tiktoken"));
        tokenizer.Decode(tokenizer.Encode(Seeds.Texts[1]));
    }
}

/// <summary>Token-shard directories: the manifest's JSON, or one shard file's header and body.</summary>
sealed class ShardTarget : Target
{
    public override string Kind => "token shards";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        foreach (var f in Directory.GetFiles(seeds.ShardDirectory)) File.Copy(f,
            Path.Combine(dir, Path.GetFileName(f)));
        if (rng.Next(2) == 0)
        {
            string manifest = Path.Combine(dir, ShardManifest.FileName);
            var (text, what) = Mutations.Json(rng, File.ReadAllText(manifest));
            File.WriteAllText(manifest, text);
            return "manifest: " + what;
        }
        var shards = Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal).ToArray();
        string shard = shards[rng.Next(shards.Length)];
        var (data, w) = Mutations.Bytes(rng, File.ReadAllBytes(shard), [0, 4, 8, 12, 16, 24]);
        File.WriteAllBytes(shard, data);
        return $"{Path.GetFileName(shard)}: {w}";
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        foreach (var split in new[] { "train", "validation" })
            using (TokenShards.Open(dir, split, out _)) { }
    }
}

/// <summary>Run directories: a trial record, a rung record or experiment.json mutated. Reading records never throws (a
/// damaged one is skipped and listed); a damaged experiment.json is refused with InvalidDataException.</summary>
sealed class RecordTarget : Target
{
    public override string Kind => "run directory";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        CopyDirectory(seeds.RunDirectory, dir);
        var files = Directory.GetFiles(dir, "*.json",
            SearchOption.AllDirectories).Where(f => !f.EndsWith("summary.jsonl",
            StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        string file = files[rng.Next(files.Length)];
        string what;
        if (rng.Next(3) == 0) { var (b,
            w) = Mutations.Bytes(rng, File.ReadAllBytes(file), []); File.WriteAllBytes(file, b); what = w; }
        else { var (t, w) = Mutations.Json(rng, File.ReadAllText(file)); File.WriteAllText(file, t); what = w; }
        return $"{Path.GetRelativePath(dir, file)}: {what}";
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        var store = new ResultStore(dir);
        // Records are never refused: a damaged one is skipped and listed, so even InvalidDataException is a finding
        // here.
        try
        {
            store.ReadAll();
            store.ReadRungs();
            store.IsFinished(Seeds.SeedTrialId);
            store.WriteSummary();
        }
        catch (InvalidDataException e) { throw new InvalidOperationException($"reading the records threw: {e.Message}",
            e); }
        store.ReadFingerprint();
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*",
            SearchOption.AllDirectories)) Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f,
            Path.Combine(to, Path.GetRelativePath(from, f)));
    }
}

/// <summary>Sweep configs: any value replaced, keys dropped or doubled, the text cut. Refusals are what the CLI turns
/// into its one-line exit 2.</summary>
sealed class SweepConfigTarget : Target
{
    public override string Kind => "sweep config";

    public override string Mutate(Random rng, Seeds seeds, string dir)
    {
        var (text, what) = Mutations.Json(rng, File.ReadAllText(seeds.SweepConfig));
        File.WriteAllText(Path.Combine(dir, "sweep.json"), text);
        return what;
    }

    public override void Exercise(Seeds seeds, string dir)
    {
        ExperimentSpec.Load(Path.Combine(dir, "sweep.json"))
            .Configure(new MLContext(seed: 1).LowRank().CreateExperiment());
    }

    public override bool IsRefusal(Exception e) =>
        e is ArgumentException or InvalidDataException or FormatException or OverflowException
        or NotSupportedException or FileNotFoundException or InvalidOperationException or System.Text.Json.JsonException;
}
