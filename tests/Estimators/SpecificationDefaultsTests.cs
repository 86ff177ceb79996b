// docs/model-spec.md §1 says "every constant above is an option with this default". This test holds the table's
// constants once, checks that the spec still states each of them, and that a freshly built GptConfig / TrainingOptions
// carries it — so changing a default, or the spec, without the other fails here. Newton–Schulz's coefficients are
// constants, not options: they are read back from one step on a matrix with three known singular values.
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Tests.Estimators;

public class SpecificationDefaultsTests
{
    static readonly string Spec = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "model-spec.md"));

    static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "docs", "model-spec.md"))) return d.FullName;
        throw new DirectoryNotFoundException("docs/model-spec.md not found above the test binaries.");
    }

    /// <summary>(what the spec writes, the option's default as built).</summary>
    public static TheoryData<string, string, double> Defaults()
    {
        var c = new GptConfig();
        var t = new TrainingOptions();
        return new()
        {
            { "soft-cap", "`15·tanh(logits/15)`", c.LogitSoftCap - 15 },
            { "rotary base", "base 10000", c.RopeBase - 10000 },
            { "norm eps", "`x · rsqrt(mean(x²) + eps)`, eps 1e-6", (c.NormEps - 1e-6) * 1e6 },
            { "MLP ratio", "MLP hidden = 4·dim", c.MlpRatio - 4 },
            { "Muon learning rate", "Muon for every 2-D matrix inside the blocks (lr 0.02",
                t.MatrixLearningRate - 0.02 },
            { "Muon momentum", "Nesterov momentum 0.95", t.MuonMomentum - 0.95 },
            { "Muon momentum start", "ramped linearly from 0.85", t.MuonMomentumStart - 0.85 },
            { "Muon momentum ramp", "over the first 300 steps", t.MuonMomentumWarmupSteps - 300 },
            { "Newton–Schulz steps", "5 Newton–Schulz steps", t.NewtonSchulzSteps - 5 },
            { "embedding learning rate", "AdamW for `wte` (lr 0.2)", t.EmbeddingLearningRate - 0.2 },
            { "head learning rate", "`lm_head` (lr 0.004", t.HeadLearningRate - 0.004 },
            { "vector learning rate", "the `FactoredDiagonal` D, lr 0.004", t.VectorLearningRate - 0.004 },
            { "AdamW β1", "betas (0.8, 0.95)", t.AdamBeta1 - 0.8 },
            { "AdamW β2", "betas (0.8, 0.95)", t.AdamBeta2 - 0.95 },
            { "AdamW ε", "eps 1e-10", (t.AdamEpsilon - 1e-10) * 1e10 },
            { "weight decay", "no weight decay", t.WeightDecay },
            { "warm-up", "optional linear warmup (default 0)", t.WarmupSteps },
            { "warm-down", "linear warmdown over the last 20 % of steps", t.WarmdownFraction - 0.2 },
            { "final LR fraction", "to 0 (`final_lr_frac` 0)", t.FinalLrFraction },
            { "gradient clipping", "gradient clipping at global norm 1.0", t.GradientClip - 1.0 },
        };
    }

    [Theory]
    [MemberData(nameof(Defaults))]
    public void Each_constant_of_the_spec_is_the_default_of_its_option(string what, string specText,
        double differenceFromSpec)
    {
        Spec.Should().Contain(specText, $"docs/model-spec.md states the {what}");
        differenceFromSpec.Should().BeApproximately(0, 1e-12, $"the {what} default is the spec's");
    }

    [Fact]
    public void The_optimizer_default_is_muon_for_matrices_and_adamw_for_the_rest()
    {
        new TrainingOptions().Optimizer.Name.Should().Be("MuonAdamW");
        Spec.Should().Contain("AdamW for everything must also be available");
        Optimizers.Parse("AdamW").Name.Should().Be("AdamW");
    }

    [Fact]
    public void One_newton_schulz_step_applies_the_specs_coefficients()
    {
        Spec.Should().Contain("coefficients (3.4445, −4.7750, 2.0315) after Frobenius normalisation");
        // A diagonal matrix's singular values go through the step's odd polynomial p(σ) = aσ + bσ³ + cσ⁵ one by one;
        // three distinct values determine (a, b, c).
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        double[] sigma = [1.0, 0.5, 0.25];
        using var g = torch.diag(torch.tensor(sigma.Select(s => (float)s).ToArray()));
        using var x = NewtonSchulz.Orthogonalize(g, 1);
        double norm = Math.Sqrt(sigma.Sum(s => s * s)) + 1e-7;
        for (int i = 0; i < 3; i++)
        {
            double s = sigma[i] / norm;
            double expected = 3.4445 * s - 4.7750 * s * s * s + 2.0315 * Math.Pow(s, 5);
            x[i, i].item<float>().Should().BeApproximately((float)expected, 1e-5f, $"singular value {sigma[i]}");
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void The_embedding_and_head_rates_scale_with_width_and_the_block_vectors_do_not(int dim)
    {
        Spec.Should().Contain("both scaled by (dim/768)^−0.5").And.Contain("lr 0.004, not scaled");
        // AdamW's first step moves every weight by its learning rate times the sign of its gradient (m/√v = ±1), so the
        // step read back from a weight is its group's rate.
        var config = new GptConfig
        {
            VocabSize = 64,
            Depth = 1,
            ModelDim = dim,
            HeadDim = 16,
            SequenceLength = 8,
            Variant = LinearVariant.FactoredDiagonal,
            AttentionRank = Rank.Of(4),
            MlpRank = Rank.Of(4),
        };
        using var model = Gpt.Create(config, seed: 1);
        var options = new TrainingOptions { MaxSteps = 1 };
        var (_, vectors, embedding, head) = Optimizers.Partition(model);
        vectors.Should().NotBeEmpty("FactoredDiagonal has a vector per layer");
        var optimizers = options.Optimizer.Create(model, options);
        var watched = new[] { (Name: "wte", Param: (torch.Tensor)embedding, Rate: 0.2 * Math.Sqrt(768.0 / dim)),
            ("lm_head", head[0], 0.004 * Math.Sqrt(768.0 / dim)), ("block vector", vectors[0], 0.004) };
        var before = watched.Select(w => w.Param.detach().clone()).ToArray();
        foreach (var p in model.parameters()) p.grad = torch.ones_like(p);
        foreach (var o in optimizers) o.Step(0, 1.0);
        for (int i = 0; i < watched.Length; i++)
        {
            using var moved = (before[i] - watched[i].Param.detach()).abs().mean();
            moved.item<float>().Should().BeApproximately((float)watched[i].Rate,
                (float)(1e-4 * watched[i].Rate), $"{watched[i].Name} at width {dim}");
        }
        foreach (var o in optimizers) o.Dispose();
        foreach (var t in before) t.Dispose();
    }
}
