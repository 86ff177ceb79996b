// The plug-in points work without touching the library: a variant written here (a Hadamard product of two low-rank
// factorisations, W = (U₁V₁) ⊙ (U₂V₂)) trains through the ML.NET pipeline, is counted by its own closed form, and
// evaluates.
using Microsoft.ML;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Tests.Estimators;

public class ExtensionTests
{
    sealed class HadamardVariant : LinearVariant
    {
        public override string Name => "Hadamard";
        public override long ParameterCount(int i, int o, int r) => 2L * r * (i + o);
        public override LinearLayer Create(LinearLayerSpec s) => new HadamardLinear(s);
    }

    sealed class HadamardLinear : LinearLayer
    {
        readonly Parameter u1, v1, u2, v2;

        public HadamardLinear(LinearLayerSpec s) : base("HadamardLinear", s.InFeatures, s.OutFeatures, s.Rank)
        {
            // Each product starts near ±1 entries scaled so that W has roughly the dense init's scale; u2 starts at
            // zero where the baseline zero-inits, so W does too.
            double scale = Math.Pow(Initialization.DenseStd(s.InFeatures, s.OutFeatures), 0.5) / Math.Pow(s.Rank, 0.25);
            using var n = new ScalarArgs(); // numbers held through the native calls (Runtime/ScalarArgs.cs)
            u1 = nn.Parameter(randn(s.OutFeatures, s.Rank, generator: s.Generator).mul(n.Of(scale)));
            v1 = nn.Parameter(randn(s.Rank, s.InFeatures, generator: s.Generator).mul(n.Of(scale)));
            u2 = nn.Parameter(s.ZeroOutput ? zeros(s.OutFeatures, s.Rank) : randn(s.OutFeatures, s.Rank,
                generator: s.Generator).mul(n.Of(scale)));
            v2 = nn.Parameter(randn(s.Rank, s.InFeatures, generator: s.Generator).mul(n.Of(scale)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var w = u1.matmul(v1) * u2.matmul(v2);
            return nn.functional.linear(x, w);
        }
    }

    [Fact]
    public void A_variant_written_outside_the_library_trains_evaluates_and_is_counted()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var options = LmPipeline.Options(steps: 30);
        options.Model = options.Model with { Variant = new HadamardVariant(), AttentionRank = 4, MlpRank = 4 };
        var model = LmPipeline.Build(ml, options: options).Fit(docs);
        var lm = model.GetLanguageModel();

        long modelCount = lm.Model.parameters().Sum(p => p.numel());
        lm.Summary.TotalParameters.Should().Be(modelCount, "the summary's closed form is the variant's own");
        lm.Model.modules().OfType<HadamardLinear>().Should().HaveCount(2 * 6);
        lm.History[^1].TrainLoss.Should().BeLessThan(lm.History[0].TrainLoss - 0.5);
        var metrics = ml.LowRank().Evaluate(model.Transform(docs));
        double.IsFinite(metrics.Perplexity).Should().BeTrue();
        // An untrained model (zero lm_head) scores ln V per token; the held-out figure must be well below where
        // training began.
        metrics.CrossEntropy.Should()
            .BeLessThan(lm.History[0].TrainLoss - 0.5, "the trained variant predicts text, not a uniform guess");
        lm.Dispose();
    }
}

public class RegistrationTests
{
    /// <summary>Another type that claims ScaledFactored's name.</summary>
    sealed class Impostor : LinearVariant
    {
        public override string Name => "ScaledFactored";
        public override long ParameterCount(int inFeatures, int outFeatures,
            int rank) => LinearVariant.Factored.ParameterCount(inFeatures, outFeatures, rank);
        public override LinearLayer Create(LinearLayerSpec spec) => LinearVariant.Factored.Create(spec);
    }

    [Fact]
    public void Registering_a_name_twice_is_an_error_unless_it_is_the_same_thing()
    {
        ExtensionRegistry.Register(new MLNet.LowRank.Tests.Experiments.ScaledFactoredVariant());
        ExtensionRegistry
            .Register(new MLNet.LowRank.Tests.Experiments.ScaledFactoredVariant());   // the same type again: nothing happens
        FluentActions.Invoking(() =>
            ExtensionRegistry.Register(new Impostor())).Should().Throw<ArgumentException>()
            .WithMessage("*'ScaledFactored' is registered already*another name*");
        LinearVariant.Parse("ScaledFactored").Should()
            .BeOfType<MLNet.LowRank.Tests.Experiments.ScaledFactoredVariant>();
        static RankSchedule First(double[] p) => RankSchedule.Linear(p[0], p[0]);
        ExtensionRegistry.RegisterRankSchedule("RegistrationTestKind", First);
        ExtensionRegistry.RegisterRankSchedule("RegistrationTestKind", First);
        FluentActions.Invoking(() => ExtensionRegistry.RegisterRankSchedule("RegistrationTestKind",
            p => RankSchedule.Linear(p[0], 2 * p[0])))
            .Should().Throw<ArgumentException>().WithMessage("*registered already*");
    }
}
