// Writes a GPT (its configuration with the ranks each block resolved to, and every weight) and reads it back.
// Save and load mirror each other field by field; a mismatch in names or shapes is reported, never papered over.
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Binary persistence of <see cref="Gpt"/>.</summary>
public static class GptSerializer
{
    /// <summary>Writes the configuration (with the rank each block resolved to) and every weight.</summary>
    public static void Write(BinaryWriter w, Gpt model)
    {
        var c = model.Config;
        if (!c.Variant.IsNamed)
            throw new NotSupportedException($"Variant '{c.Variant.Name}' is neither built in nor registered, so a " +
                $"saved model could not name it on load. Register it first: ExtensionRegistry.Register(variant).");
        foreach (var field in SavedConfig.Fields) field.Write(w, c);
        WriteRanks(w,
            c.AttentionRank is null ? null : Enumerable.Range(0, c.Depth).Select(c.AttentionRankAt).ToArray(),
            c.AttentionRank?.ToString());
        WriteRanks(w, c.MlpRank is null ? null : Enumerable.Range(0, c.Depth).Select(c.MlpRankAt).ToArray(),
            c.MlpRank?.ToString());
        w.Write(c.HeadRank is not null);
        if (c.HeadRank is not null) w.Write(c.HeadRankValue);

        var parameters = model.named_parameters().ToList();
        w.Write(parameters.Count);
        foreach (var (name, p) in parameters)
        {
            w.Write(name);
            TensorIO.Write(w, p);
        }
    }

    /// <summary>Builds the model <see cref="Write"/> wrote. A model file is untrusted input: the configuration it
    /// claims is checked against sane bounds and against <paramref name="availableBytes"/> (what the file can still
    /// hold) before anything is allocated, and the parameters are not initialised, since the saved weights overwrite
    /// them.</summary>
    /// <exception cref="InvalidDataException">The configuration is invalid, implausible, or larger than the data
    /// present.</exception>
    public static Gpt Read(BinaryReader r, long availableBytes, Device? device = null)
    {
        var config = ReadConfig(r);
        long parameters = ModelSummary.For(config).TotalParameters;
        if (parameters * sizeof(float) > availableBytes)
            throw new InvalidDataException($"The saved configuration claims {parameters:N0} parameters " +
                $"({parameters * 4.0 / (1L << 30):N2} GiB of float32 weights), but the file holds " +
                $"only {availableBytes:N0} bytes: it is corrupted or not a model of this library.");
        var model = Gpt.CreateForLoading(config, device);
        try
        {
            ReadWeights(r, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads the configuration part of <see cref="Write"/>'s output.</summary>
    public static GptConfig ReadConfig(BinaryReader r)
    {
        var config = new GptConfig();
        for (int i = 0; i < SavedConfig.Fields.Length; i++)
        {
            config = SavedConfig.Fields[i].Read(r, config);
            // The sizes are checked before anything else is read: a damaged size must not drive what follows.
            if (i == SavedConfig.SizeFields - 1)
                CheckBounds(config.VocabSize, config.Depth, config.ModelDim, config.HeadDim, config.SequenceLength,
                    config.MlpRatio);
        }
        var attention = ReadRanks(r, config.Depth);
        var mlp = ReadRanks(r, config.Depth);
        Rank? head = r.ReadBoolean() ? Rank.Of(r.ReadInt32()) : null;
        config = config with { AttentionRank = attention, MlpRank = mlp, HeadRank = head };
        CheckPlausible(config);
        return config;
    }

    // Far beyond anything trained with this library, and small enough that a claim within them cannot ask for more
    // than a few gigabytes before the byte count is compared.
    const int MaxVocab = GptConfig.MaxVocabSize, MaxDim = GptConfig.MaxModelDim, MaxDepth = GptConfig.MaxDepth,
        MaxRatio = GptConfig.MaxMlpRatio;
    const long MaxRotaryValues = GptConfig.MaxRotaryValues;

    internal static void CheckBounds(int vocab, int depth, int dim, int headDim, int seq, int mlpRatio)
    {
        static void Bound(string option, long value, long max)
        {
            if (value < 1 || value > max)
                throw new InvalidDataException($"The saved configuration has {option} = {value:N0}, outside 1 " +
                    $"… {max:N0}: the file is corrupted or not a model of this library.");
        }
        Bound(nameof(GptConfig.VocabSize), vocab, MaxVocab);
        Bound(nameof(GptConfig.Depth), depth, MaxDepth);
        Bound(nameof(GptConfig.ModelDim), dim, MaxDim);
        Bound(nameof(GptConfig.HeadDim), headDim, MaxDim);
        Bound(nameof(GptConfig.SequenceLength), seq, int.MaxValue);
        Bound(nameof(GptConfig.MlpRatio), mlpRatio, MaxRatio);
        Bound("SequenceLength × HeadDim (rotary tables)", (long)seq * headDim, MaxRotaryValues);
    }

    internal static void CheckPlausible(GptConfig c)
    {
        try { c.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"The saved configuration is " +
            $"invalid: {e.Message}", e); }
    }

    /// <summary>Reads the weights part of <see cref="Write"/>'s output into <paramref name="model"/>, checking names
    /// and shapes.</summary>
    public static void ReadWeights(BinaryReader r, Gpt model)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int count = r.ReadInt32();
        if (count != parameters.Count)
            throw new InvalidDataException($"The saved model has {count} weight tensors; its configuration " +
                $"builds {parameters.Count}.");
        var seen = new HashSet<string>();
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            if (!parameters.TryGetValue(name, out var p))
                throw new InvalidDataException($"The saved model has a weight '{name}' its configuration does not " +
                    $"build.");
            // The count matches, so a name given twice would leave another weight at its uninitialised value.
            if (!seen.Add(name))
                throw new InvalidDataException($"The saved model has weight '{name}' twice: the file is damaged.");
            TensorIO.ReadInto(r, p, $"Weight '{name}'");
        }
    }

    static void WriteRanks(BinaryWriter w, int[]? ranks, string? description)
    {
        w.Write(ranks is not null);
        if (ranks is null) return;
        w.Write(description ?? "");
        w.Write(ranks.Length);
        foreach (int rank in ranks) w.Write(rank);
    }

    static RankSchedule? ReadRanks(BinaryReader r, int depth)
    {
        if (!r.ReadBoolean()) return null;
        string description = r.ReadString();
        int count = r.ReadInt32();
        if (count != depth || depth < 1 || depth > MaxDepth)
            throw new InvalidDataException($"The saved configuration lists {count} per-block ranks for " +
                $"depth {depth}: the file is corrupted.");
        int[] ranks = Enumerable.Range(0, count).Select(_ => r.ReadInt32()).ToArray();
        // The resolved per-block ranks, so any schedule (custom ones included) comes back exactly.
        return RankSchedule.Custom((layer, _) => ranks[layer], description);
    }
}
