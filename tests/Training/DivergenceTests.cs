// A diverged step never reaches the weights: the loss and gradient norm are judged before the optimizers step, the
// default limit is reachable (ln V + a margin, not an absolute 100 that soft-capped logits cannot exceed), the advice
// to resume with a lower learning rate can be followed as an explicit, recorded choice, and NaN/Inf in a loaded file is
// refused with the tensor named.
using Microsoft.ML;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Tests.Training;

public class DivergenceTests
{
    static float[][] Snapshot(Gpt model)
    {
        using var noGrad = torch.no_grad();
        return model.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void The_step_that_diverges_is_not_applied_and_the_model_is_the_one_before_it()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        var snapshots = new List<float[][]> { Snapshot(model) };
        var result = TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(50) with { EmbeddingLearningRate = 1e6, HeadLearningRate = 1e6, MatrixLearningRate = 1e3,
            GradientClip = 0 },
            onStep: _ => snapshots.Add(Snapshot(model)));
        result.Status.Should().Be(TrainingStatus.Diverged);
        int divergedAt = result.History[^1].Step;
        divergedAt.Should().BeGreaterThan(1).And.BeLessThan(50);
        var last = result.History[^1];
        (double.IsFinite(last.TrainLoss) && last.TrainLoss <= Math.Log(Tiny.Vocab) + 5
            && double.IsFinite(last.GradientNorm)).Should().BeFalse("the last step is the diverged one");
        result.History.SkipLast(1).Should().OnlyContain(h => double.IsFinite(h.TrainLoss)
            && h.TrainLoss <= Math.Log(Tiny.Vocab) + 5);
        // The weights after the run are exactly those after the last good step: the diverged update never happened.
        var after = Snapshot(model);
        after.Zip(snapshots[divergedAt - 1]).Should().OnlyContain(x => x.First.SequenceEqual(x.Second));
        after.SelectMany(v => v).Should().OnlyContain(v => float.IsFinite(v));
        result.Message.Should().Contain($"model is the one after step {divergedAt - 1}").And
            .Contain("DivergenceMargin");
    }

    [Fact]
    public void The_default_limit_is_reachable_with_soft_capped_logits()
    {
        var o = new TrainingOptions();
        double ceiling =
            Math.Log(257) + 2 * new GptConfig().LogitSoftCap;   // the most a soft-capped cross-entropy can be
        o.DivergenceLoss.Should().BeGreaterThan(ceiling, "the absolute limit alone could never fire");
        (Math.Log(257) + o.DivergenceMargin).Should().BeLessThan(ceiling, "the margin above ln V can");
    }

    [Fact]
    public void Resuming_with_a_lower_learning_rate_is_refused_unless_asked_and_then_recorded()
    {
        using var dir = new TempDirectory("lowrank-changed-");
        string checkpoint = Path.Combine(dir.Path, "c.ckpt");
        var config = Tiny.Config(LinearVariant.Dense);
        var options = Tiny.Options(10) with { CheckpointPath = checkpoint, PauseAtStep = 5 };
        using (var model = Gpt.Create(config, seed: 1))
            TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
                options).Status.Should().Be(TrainingStatus.Paused);
        var lower = options with { PauseAtStep = null, Resume = true, MatrixLearningRate = 0.01 };
        using (var model = Gpt.Create(config, seed: 1))
            FluentActions.Invoking(() => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, lower))
                .Should().Throw<InvalidOperationException>().WithMessage("*different run*");
        using (var model = Gpt.Create(config, seed: 1))
        {
            var log = new List<string>();
            var result = TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
                lower with { ResumeWithChangedOptions = true }, log: log.Add);
            result.Status.Should().Be(TrainingStatus.Completed);
            result.History.Should().HaveCount(10);
            result.OptionChanges.Should().Equal("at step 5: MatrixLearningRate 0.02 → 0.01");
            log.Should().Contain(l => l.Contains("changed training options")
                && l.Contains("MatrixLearningRate 0.02 → 0.01"));
        }
        // Another model, or another optimizer, stays refused even so.
        using (var model = Gpt.Create(config with { Depth = 3 }, seed: 1))
            FluentActions.Invoking(() => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
                lower with { ResumeWithChangedOptions = true }))
                .Should().Throw<InvalidOperationException>().WithMessage("*different run*");
    }

    [Fact]
    public void A_model_file_holding_NaN_is_refused_naming_the_weight()
    {
        using var dir = new TempDirectory("lowrank-nan-");
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var fitted = LmPipeline.Build(ml, options: LmPipeline.Options(steps: 1)).Fit(docs);
        var lm = fitted.GetLanguageModel();
        var (name, weight) = lm.Model.named_parameters().First(p => p.name.Contains("c_q"));
        using (torch.no_grad()) weight.view(-1)[3] = torch.tensor(float.NaN);
        string zip = Path.Combine(dir.Path, "m.zip"), safetensors = Path.Combine(dir.Path, "m.safetensors");
        ml.Model.Save(fitted, docs.Schema, zip);
        GptExport.Save(lm.Model, safetensors);
        lm.Dispose();
        FluentActions.Invoking(() =>
            ml.LowRank().LoadModel(zip)).Should().Throw<InvalidDataException>().WithMessage($"*{name}*NaN*element 3*");
        FluentActions.Invoking(() =>
            GptExport.Load(safetensors)).Should().Throw<InvalidDataException>()
            .WithMessage($"*{name}*NaN or infinite*");
    }
}
