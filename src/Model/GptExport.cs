// Export that other tools read: the state dict under the model's own parameter names, as safetensors or as a PyTorch
// torch.save file (TorchSharp.PyBridge), in float32, float16 or bfloat16, and the architecture as JSON (in the
// safetensors metadata and beside the file as NAME.json) with every block's resolved ranks — enough for a PyTorch
// implementation of docs/model-spec.md (tools/reference/model.py builds its GPT from exactly these keys) to reproduce
// the logits. Import reads the same formats back, treating the file as untrusted input.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Export and import of a <see cref="Gpt"/>: its state dict as safetensors or as a PyTorch <c>torch.save</c>
/// file (through TorchSharp.PyBridge), in float32, float16 or bfloat16, with the configuration as JSON.</summary>
public static class GptExport
{
    /// <summary>The value of the config's "format" key.</summary>
    public const string Format = "mlnet-lowrank-gpt";
    public const int Version = 1;

    static readonly ScalarType[] Dtypes = [ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16];

    /// <summary>Writes the model's state dict to <paramref name="path"/> — safetensors for ".safetensors" (the config
    /// also in its metadata), a PyTorch state-dict file that <c>torch.load</c> reads for ".pt" or ".pth" — with every
    /// weight in <paramref name="dtype"/> (float32, float16 or bfloat16), and the config beside it (same name,
    /// .json).</summary>
    /// <exception cref="NotSupportedException">The model uses a variant other tools cannot know (not built in), or the
    /// extension or dtype is not one of these.</exception>
    public static void Save(Gpt model, string path, ScalarType dtype = ScalarType.Float32)
    {
        if (!Dtypes.Contains(dtype))
            throw new NotSupportedException($"Export dtype {dtype} is not supported; use {string.Join(", ", Dtypes)}.");
        var kind = KindOf(path);
        var config = ConfigJson(model.Config);
        // The JSON beside may already be there: another export's (of these weights in another format — it gains this
        // file's entry), or a file the user wrote, which an export never replaces. Decided before any weights are
        // written.
        var weights = WeightsBeside(path, config);
        var state = model.state_dict();
        var tensors = state.ToDictionary(kv => kv.Key, kv =>
        {
            // The detached and converted intermediates go with the scope, not to the finalizer thread.
            using var scope = NewDisposeScope();
            return kv.Value.detach().to(dtype).cpu().MoveToOuterDisposeScope();
        });
        try
        {
            if (kind == FileKind.SafeTensors)
                SafeTensors.Write(path, tensors,
                    new Dictionary<string, string> { ["config"] = config.ToJsonString(), ["format"] = Format });
            else   // through a temporary file and a rename, as SafeTensors.Write does
                Common.AtomicFile.Write(path,
                    stream => TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, tensors, leaveOpen: true));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        // The JSON beside names the weights it belongs to, so an export interrupted between its two files (new weights,
        // old JSON) or two exports' files side by side are refused on load instead of being read as one model.
        string hash = WeightsHash(path);
        config[WeightsHashKey] = hash;
        weights[Path.GetFileName(path)] = hash;
        config[WeightsFilesKey] = new JsonObject(weights.OrderBy(kv => kv.Key,
            StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        Common.AtomicFile.WriteText(ConfigPath(path),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
    }

    /// <summary>The key of the JSON beside an export that maps every weights file it describes to its SHA-256 (an
    /// export as .safetensors and as .pt shares one JSON).</summary>
    public const string WeightsFilesKey = "weights_files";

    /// <summary>The weights files the JSON beside <paramref name="path"/> already describes, when it is an export's
    /// JSON of the same configuration (those files keep their entries); empty when there is none or it describes
    /// another model. Throws when a file of that name exists that no export wrote.</summary>
    static Dictionary<string, string> WeightsBeside(string path, JsonObject config)
    {
        string besidePath = ConfigPath(path);
        if (!File.Exists(besidePath)) return [];
        JsonObject? beside;
        string? format = null;
        try
        {
            beside = JsonNode.Parse(Common.UserFile.ReadAllText(besidePath, 16L << 20, "export's JSON")) as JsonObject;
            format = beside?["format"] is JsonValue f && f.TryGetValue(out string? text) ? text
                : null;   // a repeated key throws here
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException) { beside = null; }
        if (beside is null || format != Format)
            throw new IOException($"{besidePath} exists and was not written by an export (it has no \"format\": " +
                $"\"{Format}\"); an export never replaces it. Move it, or export under another name.");
        var same = beside.Where(kv => kv.Key is not (WeightsHashKey or WeightsFilesKey)).ToDictionary(kv => kv.Key,
            kv => kv.Value?.ToJsonString());
        var mine = config.ToDictionary(kv => kv.Key, kv => kv.Value?.ToJsonString());
        if (same.Count != mine.Count || same.Any(kv => mine.GetValueOrDefault(kv.Key) != kv.Value))
            return [];   // another model: its weights are stale now
        return beside[WeightsFilesKey] is JsonObject files
            ? files.Where(kv => kv.Value is JsonValue v && v.TryGetValue(out string? _)
            && File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, kv.Key)))
                .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>())
            : [];
    }

    /// <summary>Builds the model a <see cref="Save"/>d file describes and copies its weights in (converted to float32);
    /// every name and shape must match what the configuration builds. The configuration comes from the safetensors
    /// metadata, else from the JSON file beside the weights.</summary>
    /// <exception cref="InvalidDataException">Not an export of this library, an implausible configuration, or weights
    /// that do not match it.</exception>
    public static Gpt Load(string path, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No exported model at '{path}'.", path);
        var kind = KindOf(path);
        // The JSON beside the weights first: it names their hash, so weights that are not its pair are refused before
        // any parser (the unpickler above all) sees them.
        string? json = ReadConfigBeside(path);
        Dictionary<string, Tensor> tensors;
        if (kind == FileKind.SafeTensors)
        {
            (tensors, var metadata) = SafeTensors.Read(path);
            if (metadata.GetValueOrDefault("format") == Format && metadata.GetValueOrDefault("config") is { } inside)
                json = inside;
        }
        else
        {
            Runtime.TorchRuntime.EnsureInitialized();
            try
            {
                tensors = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path)
                    .Cast<System.Collections.DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key,
                    e => e.Value as Tensor
                    ?? throw new InvalidDataException($"{path}: entry '{e.Key}' is not a tensor."));
            }
            catch (Exception e) when (e is not InvalidDataException)
            {
                throw new InvalidDataException($"{path} is not a readable PyTorch state-dict file ({e.Message}).", e);
            }
        }
        try
        {
            if (json is null)
                throw new InvalidDataException($"{path} has no MLNet.LowRank configuration (safetensors metadata " +
                    $"\"format\": \"{Format}\", or {Path.GetFileName(ConfigPath(path))} beside it); export models " +
                    $"with GptExport.Save.");
            var config = ParseConfig(json, path);
            long claimed = ModelSummary.For(config).TotalParameters, present = tensors.Values.Sum(t => t.numel());
            if (claimed != present)
                throw new InvalidDataException($"{path}: the configuration builds {claimed:N0} parameters; the file " +
                    $"holds {present:N0} values.");
            var model = Gpt.CreateForLoading(config, device);
            try
            {
                var ours = model.state_dict();
                var missing = ours.Keys.Except(tensors.Keys).ToList();
                var extra = tensors.Keys.Except(ours.Keys).ToList();
                if (missing.Count > 0 || extra.Count > 0)
                    throw new InvalidDataException($"{path}: weights do not match the configuration " +
                        $"(missing: {string.Join(", ", missing.DefaultIfEmpty("none"))}; " +
                        $"unexpected: {string.Join(", ", extra.DefaultIfEmpty("none"))}).");
                foreach (var (name, t) in tensors)
                {
                    if (!t.shape.SequenceEqual(ours[name].shape))
                        throw new InvalidDataException($"{path}: weight '{name}' is [{string.Join(", ", t.shape)}]; " +
                            $"the configuration builds [{string.Join(", ", ours[name].shape)}].");
                    if (!t.is_floating_point())
                        throw new InvalidDataException($"{path}: weight '{name}' is {t.dtype}, not a floating-point " +
                            $"type.");
                }
                using var float32 = new DisposableDictionary(tensors.ToDictionary(kv => kv.Key,
                    kv => kv.Value.to(ScalarType.Float32)));
                foreach (var (name, t) in float32.Tensors)
                {
                    using var finite = t.isfinite().all();
                    if (!finite.item<bool>())
                        throw new InvalidDataException($"{path}: weight '{name}' holds NaN or infinite values: it " +
                            $"was saved from a diverged run, or the file is damaged.");
                }
                model.load_state_dict(float32.Tensors,
                    strict: true);   // TorchSharp's own loader: names again, then copy_
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    enum FileKind { SafeTensors, PyTorch }

    static FileKind KindOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".safetensors" => FileKind.SafeTensors,
        ".pt" or ".pth" => FileKind.PyTorch,
        var other =>
            throw new NotSupportedException($"'{path}': export and import take .safetensors or a PyTorch state dict " +
            $"(.pt, .pth), not '{other}'."),
    };

    static string ConfigPath(string path) => Path.ChangeExtension(path, ".json");

    /// <summary>Tensors disposed together.</summary>
    sealed class DisposableDictionary(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors => tensors;
        public void Dispose() { foreach (var t in tensors.Values) t.Dispose(); }
    }

    /// <summary>The architecture in the keys tools/reference/model.py builds its GPT from (the config an export
    /// carries).</summary>
    /// <summary>The key of the JSON beside an export that holds its weights file's SHA-256.</summary>
    public const string WeightsHashKey = "weights_sha256";

    static string WeightsHash(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
    }

    internal static JsonObject ConfigJson(GptConfig c)
    {
        if (!LinearVariant.BuiltIn.Contains(c.Variant))
            throw new NotSupportedException($"Variant '{c.Variant.Name}' is not built in, so no other tool could " +
                $"rebuild the model; export supports {string.Join(", ", LinearVariant.BuiltIn.Select(v => v.Name))}.");
        string Group(bool lowRank) => lowRank ? c.Variant.Name : LinearVariant.Dense.Name;
        var o = new JsonObject { ["format"] = Format, ["version"] = Version };
        foreach (var field in SavedConfig.Fields.Where(f =>
            f.ExportKey is not null)) o[field.ExportKey!] = field.ToJson(c);
        o["attention_variant"] = Group(c.AttentionIsFactored);
        o["mlp_variant"] = Group(c.MlpIsFactored);
        o["head_variant"] = Group(c.HeadIsFactored);
        o["attention_ranks"] = new JsonArray([.. Enumerable.Range(0,
            c.Depth).Select(i => (JsonNode?)c.AttentionRankAt(i))]);
        o["mlp_ranks"] = new JsonArray([.. Enumerable.Range(0, c.Depth).Select(i => (JsonNode?)c.MlpRankAt(i))]);
        o["head_rank"] = c.HeadRankValue;
        return o;
    }

    static GptConfig ParseConfig(string json, string path)
    {
        try
        {
            var o = JsonNode.Parse(json)!.AsObject();
            int I(string k) => o[k]!.GetValue<int>();
            string S(string k) => o[k]!.GetValue<string>();
            if (I("version") > Version)
                throw new InvalidDataException($"{path} was exported in format version {I("version")}; this library " +
                    $"reads {Version} and older.");
            var config = new GptConfig();
            foreach (var field in SavedConfig.Fields.Where(f => f.ExportKey is not null))
                config = field.FromJson(o[field.ExportKey!]
                    ?? throw new InvalidDataException($"{path}: the exported configuration has no " +
                    $"\"{field.ExportKey}\"."), config);
            int depth = config.Depth;
            GptSerializer.CheckBounds(config.VocabSize, depth, config.ModelDim, config.HeadDim, config.SequenceLength,
                config.MlpRatio);
            int[] Ranks(string k)
            {
                var ranks = o[k]!.AsArray().Select(r => r!.GetValue<int>()).ToArray();
                if (ranks.Length != depth)
                    throw new InvalidDataException($"{path}: \"{k}\" lists {ranks.Length} ranks for depth {depth}.");
                return ranks;
            }
            var attention = Ranks("attention_ranks");
            var mlp = Ranks("mlp_ranks");
            config = config with
            {
                AttentionRank = S("attention_variant") == LinearVariant.Dense.Name ? null : RankSchedule.Custom((layer,
                    _) => attention[layer], "exported"),
                MlpRank = S("mlp_variant") == LinearVariant.Dense.Name ? null : RankSchedule.Custom((layer,
                    _) => mlp[layer], "exported"),
                HeadRank = S("head_variant") == LinearVariant.Dense.Name ? null : Rank.Of(I("head_rank")),
            };
            GptSerializer.CheckPlausible(config);
            return config;
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the exported configuration is malformed ({e.Message}).", e);
        }
    }

    /// <summary>The configuration JSON beside <paramref name="path"/> when it is this library's and was written for
    /// these weights (its SHA-256 matches); null when there is none, or it is another tool's.</summary>
    /// <exception cref="InvalidDataException">The JSON is damaged, or names other weights.</exception>
    static string? ReadConfigBeside(string path)
    {
        string besidePath = ConfigPath(path);
        if (!File.Exists(besidePath)) return null;
        string beside = Common.UserFile.ReadAllText(besidePath, 16L << 20, "export's JSON");
        string? format, expected;
        try
        {
            var node = JsonNode.Parse(beside);
            format = node is JsonObject o && o["format"] is JsonValue f && f.TryGetValue(out string? s) ? s : null;
            // Every weights file the JSON describes by name (exports since weights_files), else the one hash it holds.
            expected = node is JsonObject m && m[WeightsFilesKey] is JsonObject files
                ? files[Path.GetFileName(path)] is JsonValue mine && mine.TryGetValue(out string? byName) ? byName
                : "(not listed)"
                : node is JsonObject h && h[WeightsHashKey] is JsonValue v && v.TryGetValue(out string? e) ? e : null;
        }
        // A key written twice surfaces as ArgumentException when the object is first read; a value of the wrong kind as
        // InvalidOperationException: both are a damaged JSON.
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{besidePath} is not valid JSON ({e.Message}): export the model again.", e);
        }
        if (format != Format) return null;
        if (expected is not null && expected != WeightsHash(path))
            throw new InvalidDataException($"{Path.GetFileName(besidePath)} was written for other weights " +
                $"than {Path.GetFileName(path)} (an export interrupted between its two files, or files of two " +
                $"exports): export the model again.");
        return beside;
    }
}
