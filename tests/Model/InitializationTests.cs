// How Gpt.Create initialises (model-spec §1 "init"), read back from the built model: wte ~ N(0, 1); every dense matrix
// N(0, σ²) with σ = (1/√fan_in)·min(1, √(fan_out/fan_in)); lm_head, attention out and MLP proj start at zero; a
// factored layer that the baseline zeroes has only U zero (V drawn, so gradients flow). Sample statistics of thousands
// of draws pin σ to a few per cent, far tighter than the factor √2 a wrong fan would cost.
using MLNet.LowRank.Model;
using TorchSharp;

namespace MLNet.LowRank.Tests.Model;

public class InitializationTests
{
    static GptConfig Config(LinearVariant variant) => new()
    {
        VocabSize = 256, Depth = 2, ModelDim = 64, HeadDim = 16, SequenceLength = 32, Variant = variant,
        AttentionRank = variant == LinearVariant.Dense ? null : Rank.Of(8),
            MlpRank = variant == LinearVariant.Dense ? null : Rank.Of(8),
    };

    static (double Mean, double Std, double MaxAbs) Stats(torch.Tensor t)
    {
        using var f = t.detach().to(torch.float64);
        return (f.mean().item<double>(), f.std().item<double>(), f.abs().max().item<double>());
    }

    [Fact]
    public void A_dense_model_draws_each_matrix_with_the_specs_sigma_and_zeroes_the_outputs()
    {
        using var model = Gpt.Create(Config(LinearVariant.Dense), seed: 1);
        var weights = model.state_dict();
        var (wteMean, wteStd, _) = Stats(weights["wte.weight"]);
        wteMean.Should().BeApproximately(0, 0.02);
        wteStd.Should().BeApproximately(1, 0.03, "wte ~ N(0, 1)");
        foreach (var (name, w) in weights.Where(kv => kv.Key.StartsWith("blocks.", StringComparison.Ordinal)))
        {
            var (mean, std, max) = Stats(w);
            if (name.EndsWith("attn.c_proj.weight", StringComparison.Ordinal) || name.EndsWith("mlp.c_proj.weight",
                StringComparison.Ordinal))
            {
                max.Should().Be(0, $"{name} starts at zero");
                continue;
            }
            long fanOut = w.shape[0], fanIn = w.shape[1];
            double sigma = 1 / Math.Sqrt(fanIn) * Math.Min(1, Math.Sqrt((double)fanOut / fanIn));
            mean.Should().BeApproximately(0, 4 * sigma / Math.Sqrt(w.numel()), name);
            std.Should().BeApproximately(sigma, 0.05 * sigma, $"{name} is [{fanOut}, {fanIn}]");
        }
        Stats(weights["lm_head.weight"]).MaxAbs.Should().Be(0, "lm_head starts at zero");
        weights.Keys.Should().Contain(k => k.EndsWith("mlp.c_fc.weight",
            StringComparison.Ordinal), "a non-square matrix (4·dim × dim) was among those checked");
    }

    [Theory]
    [InlineData(128, 32)] // fan_out < fan_in: σ shrinks by √(fan_out/fan_in)
    [InlineData(32, 128)] // fan_out > fan_in: σ = 1/√fan_in
    public void A_non_square_dense_draw_has_the_specs_sigma(int fanIn, int fanOut)
    {
        MLNet.LowRank.Runtime.TorchRuntime
            .EnsureInitialized(); // before the first TorchSharp object, whichever test runs first
        using var g = new torch.Generator(7);
        using var w = Initialization.DenseWeight(fanIn, fanOut, g);
        double sigma = 1 / Math.Sqrt(fanIn) * Math.Min(1, Math.Sqrt((double)fanOut / fanIn));
        Stats(w).Std.Should().BeApproximately(sigma, 0.04 * sigma);
        w.shape.Should().Equal(fanOut, fanIn);
    }

    [Theory]
    [InlineData("Factored")]
    [InlineData("FactoredDiagonal")]
    [InlineData("Cola")]
    public void A_factored_model_zeroes_only_U_where_the_baseline_zeroes_the_layer(string variantName)
    {
        var variant = LinearVariant.BuiltIn.Single(v => v.Name == variantName);
        using var model = Gpt.Create(Config(variant), seed: 1);
        var weights = model.state_dict();
        foreach (var (name,
            w) in weights.Where(kv => kv.Key.StartsWith("blocks.",
            StringComparison.Ordinal) && (kv.Key.EndsWith(".U", StringComparison.Ordinal) || kv.Key.EndsWith(".V",
            StringComparison.Ordinal))))
        {
            bool zeroedByBaseline = name.Contains("c_proj.", StringComparison.Ordinal);
            double max = Stats(w).MaxAbs;
            if (zeroedByBaseline && name.EndsWith(".U", StringComparison.Ordinal))
                max.Should().Be(0, $"{name}: U starts at zero");
            else max.Should()
                .BeGreaterThan(0, $"{name} is drawn (U = V = 0 would be a fixed point with zero gradient)");
        }
        weights.Keys.Count(k => k.EndsWith("c_proj.U",
            StringComparison.Ordinal)).Should().Be(2 * 2, "attention out and MLP proj of two blocks");
    }
}
