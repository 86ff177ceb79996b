// One golden fixture written by the independent PyTorch reference (tools/reference/make_fixtures.py): the model it
// describes, rebuilt here with the library's own classes, and the reference's tensors to compare against.
using System.Text.Json;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Reference;

sealed class ReferenceFixture : IDisposable
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Reference");

    public static IEnumerable<object[]> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.safetensors").Select(f =>
        new object[] { Path.GetFileNameWithoutExtension(f) }).OrderBy(n => (string)n[0]);

    readonly Dictionary<string, Tensor> tensors;

    public ReferenceFixture(string name)
    {
        Name = name;
        (tensors, var metadata) = SafeTensors.Read(Path.Combine(Directory, name + ".safetensors"));
        Config = JsonDocument.Parse(metadata["config"]).RootElement.Clone();
        OptionsJson = JsonDocument.Parse(metadata["options"]).RootElement.Clone();
        LrFactors = JsonSerializer.Deserialize<double[]>(metadata["lr_factors"])!;
        TotalSteps = int.Parse(metadata["total_steps"]);
    }

    public string Name { get; }
    public JsonElement Config { get; }
    public JsonElement OptionsJson { get; }
    public double[] LrFactors { get; }
    public int TotalSteps { get; }

    public Tensor this[string key] => tensors.TryGetValue(key,
        out var t) ? t : throw new KeyNotFoundException($"Fixture {Name} has no tensor '{key}'.");

    /// <summary>The reference's per-block ranks, for checking the library resolves the same schedule to the same
    /// ranks.</summary>
    public int[] Ranks(string group) => Config.GetProperty(group).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public GptConfig GptConfig()
    {
        var c = Config;
        string variant = c.GetProperty("variant").GetString()!;
        return new GptConfig
        {
            VocabSize = c.GetProperty("vocab").GetInt32(),
            Depth = c.GetProperty("depth").GetInt32(),
            ModelDim = c.GetProperty("dim").GetInt32(),
            HeadDim = c.GetProperty("head_dim").GetInt32(),
            MlpRatio = c.GetProperty("mlp_ratio").GetInt32(),
            SequenceLength = c.GetProperty("seq").GetInt32(),
            NormEps = c.GetProperty("eps").GetDouble(),
            RopeBase = c.GetProperty("rope_base").GetDouble(),
            LogitSoftCap = c.GetProperty("softcap").GetDouble(),
            Variant = LinearVariant.Parse(variant),
            AttentionRank = Schedule(c.GetProperty("attention_schedule")),
            MlpRank = Schedule(c.GetProperty("mlp_schedule")),
            HeadRank = c.GetProperty("head_variant").GetString() == "Dense" ? null
                : Rank.Of(c.GetProperty("head_rank").GetInt32()),
        };
    }

    public TrainingOptions TrainingOptions()
    {
        var o = OptionsJson;
        double D(string key) => o.GetProperty(key).GetDouble();
        int I(string key) => o.GetProperty(key).GetInt32();
        return new TrainingOptions
        {
            MaxSteps = TotalSteps,
            Optimizer = Optimizers.Parse(o.GetProperty("optimizer").GetString()!),
            MatrixLearningRate = D("matrix_lr"), AdamMatrixLearningRate = D("adam_matrix_lr"),
                EmbeddingLearningRate = D("embedding_lr"),
            HeadLearningRate = D("head_lr"), VectorLearningRate = D("vector_lr"),
            MuonMomentum = D("momentum"), MuonMomentumStart = D("momentum_start"),
                MuonMomentumWarmupSteps = I("momentum_warmup"),
            NewtonSchulzSteps = I("ns_steps"),
            AdamBeta1 = D("beta1"), AdamBeta2 = D("beta2"), AdamEpsilon = D("adam_eps"),
                WeightDecay = D("weight_decay"),
            WarmupSteps = I("warmup_steps"), WarmdownFraction = D("warmdown_fraction"),
                FinalLrFraction = D("final_lr_fraction"),
            GradientClip = D("grad_clip"), FrobeniusDecay = D("frobenius_decay"),
        };
    }

    /// <summary>The library's model with the reference's weights ("param.*") copied in by name; every name must
    /// match.</summary>
    public Gpt Model()
    {
        var model = Gpt.Create(GptConfig(), seed: 0);
        var ours = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var theirs = tensors.Keys.Where(k => k.StartsWith("param.",
            StringComparison.Ordinal)).Select(k => k["param.".Length..]).ToHashSet();
        ours.Keys.Should()
            .BeEquivalentTo(theirs, $"the library and the reference must build the same parameters for fixture {Name}");
        using var noGrad = no_grad();
        foreach (var (name, p) in ours) p.copy_(this["param." + name]);
        return model;
    }

    static RankSchedule? Schedule(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null
        : TrialParameters.ParseRank(e.GetString()!);

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
