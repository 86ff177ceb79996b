// Export that other tools read: the weights as safetensors under the model's own parameter names, and the architecture
// as JSON (in the file's metadata and beside it as NAME.json) with every block's resolved ranks — enough for a
// PyTorch implementation of docs/model-spec.md (tools/reference/model.py builds its GPT from exactly these keys) to
// reproduce the logits. Import reads the same format back, treating the file as untrusted input.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>safetensors + JSON export and import of a <see cref="Gpt"/>.</summary>
public static class GptExport
{
    /// <summary>The value of the config's "format" key.</summary>
    public const string Format = "mlnet-lowrank-gpt";
    public const int Version = 1;

    /// <summary>Writes <paramref name="path"/> (safetensors, float32) and the config beside it (same name, .json).</summary>
    /// <exception cref="NotSupportedException">The model uses a variant other tools cannot know (not built in).</exception>
    public static void Save(Gpt model, string path)
    {
        var config = ConfigJson(model);
        string text = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var tensors = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["config"] = config.ToJsonString(), ["format"] = Format });
        File.WriteAllText(Path.ChangeExtension(path, ".json"), text + Environment.NewLine);
    }

    /// <summary>Builds the model a <see cref="Save"/>d file describes and copies its weights in; every name and shape
    /// must match what the configuration builds.</summary>
    /// <exception cref="InvalidDataException">Not an export of this library, an implausible configuration, or weights that
    /// do not match it.</exception>
    public static Gpt Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        try
        {
            if (!metadata.TryGetValue("config", out var json) || metadata.GetValueOrDefault("format") != Format)
                throw new InvalidDataException($"{path} is a safetensors file without an MLNet.LowRank configuration (metadata \"format\": \"{Format}\"); export models with GptExport.Save.");
            var config = ParseConfig(json, path);
            long claimed = ModelSummary.For(config).TotalParameters, present = tensors.Values.Sum(t => t.numel());
            if (claimed != present)
                throw new InvalidDataException($"{path}: the configuration builds {claimed:N0} parameters; the file holds {present:N0} values.");
            var model = Gpt.CreateForLoading(config);
            try
            {
                var ours = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                var missing = ours.Keys.Except(tensors.Keys).ToList();
                var extra = tensors.Keys.Except(ours.Keys).ToList();
                if (missing.Count > 0 || extra.Count > 0)
                    throw new InvalidDataException($"{path}: weights do not match the configuration (missing: {string.Join(", ", missing.DefaultIfEmpty("none"))}; unexpected: {string.Join(", ", extra.DefaultIfEmpty("none"))}).");
                using var noGrad = no_grad();
                foreach (var (name, p) in ours)
                {
                    var t = tensors[name];
                    if (!t.shape.SequenceEqual(p.shape))
                        throw new InvalidDataException($"{path}: weight '{name}' is [{string.Join(", ", t.shape)}]; the configuration builds [{string.Join(", ", p.shape)}].");
                    p.copy_(t);
                }
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

    static JsonObject ConfigJson(Gpt model)
    {
        var c = model.Config;
        if (!LinearVariant.BuiltIn.Contains(c.Variant))
            throw new NotSupportedException($"Variant '{c.Variant.Name}' is not built in, so no other tool could rebuild the model; export supports {string.Join(", ", LinearVariant.BuiltIn.Select(v => v.Name))}.");
        string Group(bool lowRank) => lowRank ? c.Variant.Name : LinearVariant.Dense.Name;
        return new JsonObject
        {
            ["format"] = Format, ["version"] = Version,
            ["vocab"] = c.VocabSize, ["depth"] = c.Depth, ["dim"] = c.ModelDim, ["head_dim"] = c.HeadDim, ["mlp_ratio"] = c.MlpRatio,
            ["seq"] = c.SequenceLength, ["eps"] = c.NormEps, ["rope_base"] = c.RopeBase, ["softcap"] = c.LogitSoftCap,
            ["variant"] = c.Variant.Name, ["init"] = c.Init.ToString(),
            ["attention_variant"] = Group(c.AttentionIsLowRank), ["mlp_variant"] = Group(c.MlpIsLowRank), ["head_variant"] = Group(c.HeadIsLowRank),
            ["attention_ranks"] = new JsonArray(model.Blocks.Select(b => (JsonNode?)b.AttentionRank).ToArray()),
            ["mlp_ranks"] = new JsonArray(model.Blocks.Select(b => (JsonNode?)b.MlpRank).ToArray()),
            ["head_rank"] = c.HeadRankValue,
        };
    }

    static GptConfig ParseConfig(string json, string path)
    {
        try
        {
            var o = JsonNode.Parse(json)!.AsObject();
            int I(string k) => o[k]!.GetValue<int>();
            double D(string k) => o[k]!.GetValue<double>();
            string S(string k) => o[k]!.GetValue<string>();
            if (I("version") > Version) throw new InvalidDataException($"{path} was exported in format version {I("version")}; this library reads {Version} and older.");
            int depth = I("depth");
            GptSerializer.CheckBounds(I("vocab"), depth, I("dim"), I("head_dim"), I("seq"), I("mlp_ratio"));
            int[] Ranks(string k)
            {
                var ranks = o[k]!.AsArray().Select(r => r!.GetValue<int>()).ToArray();
                if (ranks.Length != depth) throw new InvalidDataException($"{path}: \"{k}\" lists {ranks.Length} ranks for depth {depth}.");
                return ranks;
            }
            var variant = LinearVariant.Parse(S("variant"));
            var attention = Ranks("attention_ranks");
            var mlp = Ranks("mlp_ranks");
            var config = new GptConfig
            {
                VocabSize = I("vocab"), Depth = depth, ModelDim = I("dim"), HeadDim = I("head_dim"), MlpRatio = I("mlp_ratio"), SequenceLength = I("seq"),
                NormEps = D("eps"), RopeBase = D("rope_base"), LogitSoftCap = D("softcap"), Variant = variant,
                Init = Enum.Parse<FactorInit>(S("init")),
                AttentionRank = S("attention_variant") == LinearVariant.Dense.Name ? null : RankSchedule.Custom((layer, _) => attention[layer], "exported"),
                MlpRank = S("mlp_variant") == LinearVariant.Dense.Name ? null : RankSchedule.Custom((layer, _) => mlp[layer], "exported"),
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
}
