using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Training;

public class TrainingBehaviourTests
{
    [Fact]
    public void A_tiny_model_overfits_one_batch()
    {
        // One document exactly one sequence long: every step sees the same batch.
        var doc = new TokenStream([Enumerable.Range(0, 16).Select(i => 1 + (i * 7) % 63).ToArray()], 0);
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Factored, 16, 16), seed: 1);
        var result = LmTrainer.Train(model, doc, null, Tiny.BytesPerToken,
            Tiny.Options(150) with { BatchSize = 1, WarmdownFraction = 0, EmbeddingLearningRate = 0.05 });
        result.History[^1].TrainLoss.Should().BeLessThan(0.1);
    }

    [Fact]
    public void The_same_seed_gives_identical_losses()
    {
        double[] Run()
        {
            using var model = Gpt.Create(Tiny.Config(LinearVariant.Cola, 8, 12), seed: 42);
            return LmTrainer.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(20)).History.Select(h => h.TrainLoss).ToArray();
        }
        var first = Run();
        var second = Run();
        second.Should().Equal(first);
        first.Distinct().Should().HaveCountGreaterThan(10, "the losses must actually change over the run");
    }

    [Fact]
    public void A_different_seed_gives_a_different_model()
    {
        using var a = Gpt.Create(Tiny.Config(), seed: 1);
        using var b = Gpt.Create(Tiny.Config(), seed: 2);
        a.EmbeddingWeight.allclose(b.EmbeddingWeight).Should().BeFalse();
    }

    [Fact]
    public void Validation_loss_is_total_nll_over_predicted_tokens_excluding_bos()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        LmTrainer.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(5));
        var valid = Tiny.Stream(documents: 3, length: 20, seed: 4);
        var result = StreamEvaluator.Evaluate(model, valid, batchSize: 2, maxTokens: 0, Tiny.BytesPerToken);

        // Recompute from the model's own logits, one sequence at a time, with log_softmax by hand.
        double nll = 0;
        long count = 0;
        int seq = 16;
        var inputs = new long[seq];
        var targets = new long[seq];
        for (int s = 0; s < valid.SequenceCount(seq); s++)
        {
            valid.CopySequence(s, seq, inputs, targets, 0);
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var logp = model.forward(torch.tensor(inputs, 1, seq)).log_softmax(-1);
            for (int i = 0; i < seq; i++)
            {
                if (targets[i] == 0) continue;
                nll -= logp[0, i, targets[i]].item<float>();
                count++;
            }
        }
        result.Tokens.Should().Be(count);
        result.Bytes.Should().Be(count);
        result.Perplexity.Should().BeApproximately(Math.Exp(nll / count), 1e-3 * Math.Exp(nll / count));
        result.BitsPerByte.Should().BeApproximately(nll / count / Math.Log(2), 1e-4);
    }

    [Fact]
    public void A_learning_rate_that_explodes_is_reported_as_diverged()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        var result = LmTrainer.Train(model, Tiny.Stream(), Tiny.Stream(seed: 5), Tiny.BytesPerToken,
            Tiny.Options(50) with { EmbeddingLearningRate = 1e6, HeadLearningRate = 1e6, MatrixLearningRate = 1e3, GradientClip = 0, DivergenceLoss = 20 });
        result.Status.Should().Be(TrainingStatus.Diverged);
        result.Message.Should().Contain("diverged at step");
        result.History.Count.Should().BeLessThan(50);
    }

    [Fact]
    public void Cancellation_stops_within_one_step()
    {
        using var model = Gpt.Create(Tiny.Config(), seed: 1);
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var progress = new SyncProgress(p => { if (++reports == 2) cts.Cancel(); });
        var act = () => LmTrainer.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(1000) with { ReportEvery = 5 }, progress, null, cts.Token);
        act.Should().Throw<OperationCanceledException>();
        reports.Should().Be(2, "no step ran after the one that observed the cancellation");
    }

    [Fact]
    public void Time_to_threshold_is_the_first_evaluation_at_or_below_it()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        var result = LmTrainer.Train(model, Tiny.Stream(), Tiny.Stream(seed: 8), Tiny.BytesPerToken,
            Tiny.Options(20) with { EvalEvery = 5, ThresholdPerplexity = 1000 });
        result.TimeToThreshold.Should().NotBeNull();
        result.TimeToThreshold!.Step.Should().Be(5);
        result.TimeToThreshold.TrainSeconds.Should().Be(result.History[4].TrainSeconds);

        using var other = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        LmTrainer.Train(other, Tiny.Stream(), Tiny.Stream(seed: 8), Tiny.BytesPerToken, Tiny.Options(10) with { EvalEvery = 5, ThresholdPerplexity = 1.01 })
            .TimeToThreshold.Should().BeNull();
    }

    [Fact]
    public void AdamW_only_trains_every_parameter_and_reports_its_state_size()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8), seed: 1);
        var before = model.parameters().Select(p => p.clone()).ToList();
        var result = LmTrainer.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(4) with { Optimizer = Optimizers.AdamW });
        model.parameters().Zip(before).Count(pair => !pair.First.allclose(pair.Second, 0, 0)).Should().Be(before.Count);
        long n = before.Sum(p => p.numel());
        result.StateBytes.Should().Be(n * 4 * 4, "parameters + gradients + two AdamW moments, float32");
        foreach (var p in before) p.Dispose();
    }

    sealed class SyncProgress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
