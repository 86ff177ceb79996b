// The fields of GptConfig a saved model carries, declared once for both of the library's formats: the binary payload
// of a model zip or checkpoint (GptSerializer writes them in this order, with these encodings — the format is that of
// every file already written) and the JSON an export carries (GptExport: these keys, which tools/reference/model.py
// reads). Ranks are not listed: both formats store the rank each block resolved to, each in its own shape. A field
// added to GptConfig that changes the model must be added here (at the end, with a format version), or a saved model
// would come back without it; tests/Model/SavedConfigTests checks that every architecture option is listed or ranked.
using System.Text.Json.Nodes;

namespace MLNet.LowRank.Model;

internal static class SavedConfig
{
    /// <summary>One field: its option name, its key in an export's JSON (null: not exported), and how each format holds
    /// it.</summary>
    internal abstract class Field(string name, string? exportKey)
    {
        public string Name { get; } = name;
        public string? ExportKey { get; } = exportKey;
        public abstract void Write(BinaryWriter w, GptConfig c);
        public abstract GptConfig Read(BinaryReader r, GptConfig c);
        public abstract JsonNode ToJson(GptConfig c);
        public abstract GptConfig FromJson(JsonNode value, GptConfig c);
    }

    sealed class Field<T>(string name, string? exportKey, Func<GptConfig, T> get, Func<GptConfig, T, GptConfig> set,
        Action<BinaryWriter, T> write, Func<BinaryReader, T> read, Func<T, JsonNode> toJson,
        Func<JsonNode, T> fromJson) : Field(name, exportKey)
    {
        public override void Write(BinaryWriter w, GptConfig c) => write(w, get(c));
        public override GptConfig Read(BinaryReader r, GptConfig c) => set(c, read(r));
        public override JsonNode ToJson(GptConfig c) => toJson(get(c));
        public override GptConfig FromJson(JsonNode value, GptConfig c) => set(c, fromJson(value));
    }

    static Field Int(string name, string? key, Func<GptConfig, int> get, Func<GptConfig, int, GptConfig> set) =>
        new Field<int>(name, key, get, set, (w, v) => w.Write(v), r => r.ReadInt32(), v => v, n => n.GetValue<int>());

    static Field Real(string name, string key, Func<GptConfig, double> get, Func<GptConfig, double, GptConfig> set) =>
        new Field<double>(name, key, get,
        set, (w, v) => w.Write(v), r => r.ReadDouble(), v => v, n => n.GetValue<double>());

    /// <summary>Every field, in the binary format's order. The first six are the sizes checked before anything else is
    /// read (<see cref="GptSerializer.CheckBounds"/>).</summary>
    internal static readonly Field[] Fields =
    [
        Int(nameof(GptConfig.VocabSize), "vocab", c => c.VocabSize, (c, v) => c with { VocabSize = v }),
        Int(nameof(GptConfig.Depth), "depth", c => c.Depth, (c, v) => c with { Depth = v }),
        Int(nameof(GptConfig.ModelDim), "dim", c => c.ModelDim, (c, v) => c with { ModelDim = v }),
        Int(nameof(GptConfig.HeadDim), "head_dim", c => c.HeadDim, (c, v) => c with { HeadDim = v }),
        Int(nameof(GptConfig.SequenceLength), "seq", c => c.SequenceLength, (c, v) => c with { SequenceLength = v }),
        Int(nameof(GptConfig.MlpRatio), "mlp_ratio", c => c.MlpRatio, (c, v) => c with { MlpRatio = v }),
        new Field<LinearVariant>(nameof(GptConfig.Variant), "variant", c => c.Variant, (c, v) => c with { Variant = v },
            (w, v) => w.Write(v.Name), r => ParseVariant(r.ReadString()), v => v.Name,
            n => LinearVariant.Parse(n.GetValue<string>())),
        // The binary format holds the enum's number, an export its name.
        new Field<FactorInit>(nameof(GptConfig.Init), "init", c => c.Init, (c, v) => c with { Init = v },
            (w, v) => w.Write((int)v), r => (FactorInit)r.ReadInt32(), v => v.ToString(),
            n => Enum.Parse<FactorInit>(n.GetValue<string>())),
        // Only the binary format: an export's per-block ranks are already rounded to it.
        Int(nameof(GptConfig.RankMultiple), null, c => c.RankMultiple, (c, v) => c with { RankMultiple = v }),
        Real(nameof(GptConfig.LogitSoftCap), "softcap", c => c.LogitSoftCap, (c, v) => c with { LogitSoftCap = v }),
        Real(nameof(GptConfig.RopeBase), "rope_base", c => c.RopeBase, (c, v) => c with { RopeBase = v }),
        Real(nameof(GptConfig.NormEps), "eps", c => c.NormEps, (c, v) => c with { NormEps = v }),
    ];

    /// <summary>The options a saved model holds as ranks per block rather than as fields.</summary>
    internal static readonly string[] Ranks = [nameof(GptConfig.AttentionRank), nameof(GptConfig.MlpRank),
        nameof(GptConfig.HeadRank)];

    /// <summary>How many leading fields are sizes, checked against bounds before the rest is read.</summary>
    internal const int SizeFields = 6;

    static LinearVariant ParseVariant(string name)
    {
        try { return LinearVariant.Parse(name); }
        catch (ArgumentException e) { throw ExtensionRegistry
            .Missing($"The model uses the linear variant '{name}', which is not registered in this " +
            $"process. {e.Message}", e); }
    }
}
