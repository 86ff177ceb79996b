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
        var result = TrainingLoop.Train(model, doc, null, Tiny.BytesPerToken,
            Tiny.Options(150) with { BatchSize = 1, WarmdownFraction = 0, EmbeddingLearningRate = 0.05 });
        result.History[^1].TrainLoss.Should().BeLessThan(0.1);
    }

    // The suite gives libtorch one thread (tests/test.runsettings); a user's run gets one per CPU, so the promise is
    // checked at two threads as well. The count is set back afterwards (libtorch keeps it per calling thread, and xunit
    // reuses threads).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_same_seed_gives_identical_losses(int threads)
    {
        double[] Run()
        {
            using var model = Gpt.Create(Tiny.Config(LinearVariant.Cola, 8, 12), seed: 42);
            return TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
                Tiny.Options(20) with { Threads = threads }).History.Select(h => h.TrainLoss).ToArray();
        }
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        int before = torch.get_num_threads();
        try
        {
            var first = Run();
            torch.get_num_threads().Should().Be(threads);
            var second = Run();
            second.Should().Equal(first);
            first.Distinct().Should().HaveCountGreaterThan(10, "the losses must actually change over the run");
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public void A_different_seed_gives_a_different_model()
    {
        using var a = Gpt.Create(Tiny.Config(), seed: 1);
        using var b = Gpt.Create(Tiny.Config(), seed: 2);
        a.EmbeddingWeight.allclose(b.EmbeddingWeight).Should().BeFalse();
    }

    [Fact]
    public void Periodic_validation_predicts_every_token_of_every_document_from_its_left_context()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(5));
        // Documents shorter than the context (16): each is one window, BOS + tokens, every token a counted target —
        // the first one too (a stream cut into fixed chunks never scores the first token of a chunk).
        var valid = Tiny.Stream(documents: 3, length: 12, seed: 4);
        var result = ValidationDocuments.FromStream(valid, Tiny.BytesPerToken).Evaluate(model);

        double nll = 0;
        long count = 0;
        for (int d = 0; d < valid.DocumentCount; d++)
        {
            long[] doc = [0, .. valid.Document(d).Select(t => (long)t)];
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var logp = model.forward(torch.tensor(doc[..^1], 1, doc.Length - 1)).log_softmax(-1);
            for (int i = 0; i < doc.Length - 1; i++)
            {
                nll -= logp[0, i, doc[i + 1]].item<float>();
                count++;
            }
        }
        count.Should().Be(36);
        result.Tokens.Should().Be(count);
        result.Bytes.Should().Be(count);
        result.Perplexity.Should().BeApproximately(Math.Exp(nll / count), 1e-4 * Math.Exp(nll / count));
        result.BitsPerByte.Should().BeApproximately(nll / count / Math.Log(2), 1e-5);

        // A document longer than the context is scored by sliding windows: still every token exactly once.
        var longDoc = Tiny.Stream(documents: 1, length: 50, seed: 6);
        ValidationDocuments.FromStream(longDoc, Tiny.BytesPerToken).Evaluate(model).Tokens.Should().Be(50);
    }

    [Fact]
    public void A_validation_subset_takes_every_genre_never_the_first_documents_of_one()
    {
        // Ten documents in five consecutive "genres" of two (as a genre-stratified split keeps them); the first token
        // of each names its genre.
        var docs = Enumerable.Range(0,
            10).Select(d => (IReadOnlyList<int>)Enumerable.Range(0,
            20).Select(i => i == 0 ? 1 + d / 2 : 10 + (d * 7 + i) % 50).ToArray());
        var stream = new TokenStream(docs, bosToken: 0);
        // A budget of 100 tokens with prefixes of at least 20: five whole documents, one of every genre.
        var spread = ValidationDocuments.FromStream(stream, Tiny.BytesPerToken, maxTokens: 100, minimumPrefix: 20);
        spread.Selected.Should().Equal(1, 3, 5, 7, 9);
        spread.Selected.Select(d => d / 2).Distinct().Should().HaveCount(5, "one document of every genre");
        spread.Tokens.Should().Be(100);
        spread.PrefixTokens.Should().Be(20);
        // With prefixes of at least 10: every document contributes its first 10 tokens.
        var prefixes = ValidationDocuments.FromStream(stream, Tiny.BytesPerToken, maxTokens: 100, minimumPrefix: 10);
        prefixes.Selected.Should().HaveCount(10);
        prefixes.Tokens.Should().Be(100);
        prefixes.PrefixTokens.Should().Be(10);
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        prefixes.Evaluate(model).Tokens.Should().Be(100, "every token of every prefix is predicted once");
        // No budget, or one the set fits in: every document whole; another budget is another subset.
        ValidationDocuments.FromStream(stream, Tiny.BytesPerToken, maxTokens: 0).PrefixTokens.Should().BeNull();
        ValidationDocuments.FromStream(stream, Tiny.BytesPerToken, maxTokens: 1000).Tokens.Should().Be(200);
        prefixes.Identity.Should().NotBe(spread.Identity);
    }

    [Fact]
    public void A_learning_rate_that_explodes_is_reported_as_diverged()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        var result = TrainingLoop.Train(model, Tiny.Stream(), Tiny.Stream(seed: 5), Tiny.BytesPerToken,
            Tiny.Options(50) with { EmbeddingLearningRate = 1e6, HeadLearningRate = 1e6, MatrixLearningRate = 1e3,
            GradientClip = 0, DivergenceLoss = 20 });
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
        var act = () => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(1000) with { ReportEvery = 5 }, progress, null, cts.Token);
        act.Should().Throw<OperationCanceledException>();
        reports.Should().Be(2, "no step ran after the one that observed the cancellation");
    }

    [Fact]
    public void Time_to_threshold_is_the_first_evaluation_at_or_below_it()
    {
        TrainingResult Run(double? threshold)
        {
            using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
            // Validation on the training text, so the curve falls step by step (held-out random tokens would stay
            // flat).
            return TrainingLoop.Train(model, Tiny.Stream(), Tiny.Stream(), Tiny.BytesPerToken,
                Tiny.Options(20) with { EvalEvery = 5, ThresholdPerplexity = threshold });
        }
        // The curve first, then thresholds placed on it: between the first two evaluations, and exactly on the second.
        var curve = Run(null).History.Where(h => h.ValidationPerplexity is not null).Select(h => (h.Step,
            Ppl: h.ValidationPerplexity!.Value)).ToList();
        curve.Select(c => c.Step).Should().Equal(5, 10, 15, 20);
        curve[1].Ppl.Should().BeLessThan(curve[0].Ppl, "training lowers the perplexity of the text it trains on");
        foreach (double threshold in new[] { (curve[0].Ppl + curve[1].Ppl) / 2, curve[1].Ppl })
        {
            var result = Run(threshold);
            result.TimeToThreshold.Should().NotBeNull();
            result.TimeToThreshold!.Step.Should()
                .Be(10, $"threshold {threshold}: the evaluation at step 5 is above it, the one at step 10 at or below");
            result.TimeToThreshold.TrainSeconds.Should().Be(result.History[9].TrainSeconds);
        }
        Run(curve.Min(c =>
            c.Ppl) * 0.99).TimeToThreshold.Should().BeNull("no evaluation reaches a threshold below the whole curve");
    }

    [Fact]
    public void AdamW_only_trains_every_parameter_and_reports_its_state_size()
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8), seed: 1);
        var before = model.parameters().Select(p => p.clone()).ToList();
        var result = TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(4) with { Optimizer = Optimizers.AdamW });
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
