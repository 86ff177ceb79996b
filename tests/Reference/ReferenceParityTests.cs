// The library against the independent PyTorch reference (tools/reference): for every fixture (each variant, a rank
// schedule with a low-rank head and Frobenius decay, AdamW for everything with weight decay, one and two heads), the
// logits, the loss, every gradient, the gradient norm and the parameters after two optimizer steps agree to ~1e-5.
using System.Text.Json;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Reference;

public class ReferenceParityTests(ITestOutputHelper output)
{
    /// <summary>Largest allowed max|ours − reference| ÷ max|reference| for any tensor.</summary>
    const double Tolerance = 1e-5;

    [Fact]
    public void Every_variant_and_optimizer_set_up_has_a_fixture()
    {
        ReferenceFixture.Names().Select(n => (string)n[0]).Should().BeEquivalentTo(
            "dense", "factored", "factored_diagonal", "cola", "schedule_head_decay", "adamw_single_head");
    }

    [Theory]
    [MemberData(nameof(ReferenceFixture.Names), MemberType = typeof(ReferenceFixture))]
    public void Forward_gradients_and_two_optimizer_steps_match_the_reference(string name)
    {
        using var fixture = new ReferenceFixture(name);
        using var model = fixture.Model();
        var report = new ParityReport(name);

        model.Blocks.Select(b =>
            b.AttentionRankValue).Should().Equal(fixture.Ranks("attention_ranks"), "per-block attention ranks");
        model.Blocks.Select(b => b.MlpRankValue).Should().Equal(fixture.Ranks("mlp_ranks"), "per-block MLP ranks");
        model.Head.Rank.Should().Be(fixture.Config.GetProperty("head_rank").GetInt32());

        using (no_grad())
        using (var logits = model.forward(fixture["input0.idx"]))
            report.Compare("logits", logits, fixture["logits"]);

        var options = fixture.TrainingOptions();
        var optimizers = options.Optimizer.Create(model, options);
        try
        {
            var step = new TrainingStep(model, optimizers, options);
            for (int s = 0; s < 2; s++)
            {
                double loss = step.Backward(fixture[$"input{s}.idx"], fixture[$"input{s}.targets"]);
                if (s == 0)
                {
                    report.Compare("loss", loss, fixture["loss"].item<float>());
                    foreach (var (n,
                        p) in model.named_parameters()) report.Compare("gradients", p.grad!, fixture["grad." + n], n);
                }
                double factor = options.Schedule.FactorAt(s, (double)s / fixture.TotalSteps);
                factor.Should().BeApproximately(fixture.LrFactors[s], 1e-12, $"LR factor at step {s}");
                double norm = step.Update(s, factor);
                report.Compare("gradient norm", norm, fixture["grad_norms"][s].item<double>());
                foreach (var (n,
                    p) in model.named_parameters()) report.Compare($"after step {s + 1}", p,
                    fixture[$"step{s + 1}." + n], n);
            }
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
        }
        output.WriteLine(report.ToString());
        ParityReport.Append(report);
        report.Worst.Should()
            .BeLessThan(Tolerance, $"every tensor of fixture {name} must agree with the reference:\n{report}");
    }

    [Fact]
    public void Learning_rate_factor_and_Muon_momentum_along_whole_runs_match_the_reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceFixture.Directory, "schedule.json")));
        int checkedRuns = 0;
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            var o = run.GetProperty("options");
            var schedule = new LearningRateSchedule(o.GetProperty("warmup_steps").GetInt32(),
                o.GetProperty("warmdown_fraction").GetDouble(),
                o.GetProperty("final_lr_fraction").GetDouble());
            int total = run.GetProperty("total_steps").GetInt32();
            var expected = run.GetProperty("lr_factors").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            expected.Should().HaveCount(total);
            for (int s = 0; s < total; s++)
                schedule.FactorAt(s, (double)s / total).Should().BeApproximately(expected[s],
                    1e-12, $"run of {total} steps ({o}), step {s}");
            checkedRuns++;
        }
        checkedRuns.Should().BeGreaterThanOrEqualTo(4);

        var defaults = new TrainingOptions { MaxSteps = 1 };
        using var muon = new Muon([], defaults.MatrixLearningRate, defaults.MuonMomentum, defaults.MuonMomentumStart,
            defaults.MuonMomentumWarmupSteps, defaults.NewtonSchulzSteps);
        var momentum = doc.RootElement.GetProperty("momentum");
        var steps = momentum.GetProperty("steps").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = momentum.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < steps.Length; i++) muon.MomentumAt(steps[i]).Should().BeApproximately(values[i],
            1e-12, $"momentum at step {steps[i]}");
    }
}
