using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Reliability;

public class ResumeTests
{
    static TrainingOptions Options(string checkpoint, int steps = 40) => Tiny.Options(steps) with
    {
        CheckpointPath = checkpoint, CheckpointEverySteps = 7, EvalEvery = 10, ReportEvery = 1,
    };

    static double[] Losses(TrainingResult r) => r.History.Select(h => h.TrainLoss).ToArray();

    [Theory]
    [InlineData("MuonAdamW")]
    [InlineData("AdamW")]
    public void Twenty_steps_then_resume_then_twenty_equals_forty_straight(string optimizer)
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        var config = Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8);
        var opt = Optimizers.Parse(optimizer);

        using var straightModel = Gpt.Create(config, seed: 5);
        var straight = TrainingLoop.Train(straightModel, Tiny.Stream(), Tiny.Stream(seed: 9), Tiny.BytesPerToken,
            Options(Path.Combine(dir, "a.ckpt")) with { Optimizer = opt });

        string checkpoint = Path.Combine(dir, "b.ckpt");
        using var cts = new CancellationTokenSource();
        using (var first = Gpt.Create(config, seed: 5))
        {
            var stopAt20 = new Sync(p => { if (p.Step == 20) cts.Cancel(); });
            FluentActions.Invoking(() => TrainingLoop.Train(first, Tiny.Stream(), Tiny.Stream(seed: 9),
                Tiny.BytesPerToken, Options(checkpoint) with { Optimizer = opt }, stopAt20, null, cts.Token))
                .Should().Throw<OperationCanceledException>().WithMessage("*after step 20*checkpoint written*");
        }
        using var resumedModel = Gpt.Create(config,
            seed: 77); // different init: every weight must come from the checkpoint
        var resumed = TrainingLoop.Train(resumedModel, Tiny.Stream(), Tiny.Stream(seed: 9), Tiny.BytesPerToken,
            Options(checkpoint) with { Optimizer = opt, Resume = true });

        resumed.History.Select(h => h.Step).Should().Equal(Enumerable.Range(1, 40));
        Losses(resumed).Should().Equal(Losses(straight), (a, b) => Math.Abs(a - b) <= 1e-6);
        resumed.LastPeriodicValidation!.Nll.Should().BeApproximately(straight.LastPeriodicValidation!.Nll,
            1e-6 * Math.Abs(straight.LastPeriodicValidation.Nll));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Pausing_twice_then_finishing_equals_one_straight_run_and_keeps_the_schedule()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        var config = Tiny.Config(LinearVariant.Factored, 8, 8);
        using var straightModel = Gpt.Create(config, seed: 5);
        var straight = TrainingLoop.Train(straightModel, Tiny.Stream(), Tiny.Stream(seed: 9), Tiny.BytesPerToken,
            Options(Path.Combine(dir, "a.ckpt"), steps: 24));

        string checkpoint = Path.Combine(dir, "p.ckpt");
        TrainingResult? last = null;
        int seed = 5; // the first run starts fresh; later ones take every weight from the checkpoint
        foreach (int? pause in new int?[] { 6, 6, 15, null }) // the second call resumes at its pause: nothing to train
        {
            using var model = Gpt.Create(config, seed);
            seed = 77;
            last = TrainingLoop.Train(model, Tiny.Stream(), Tiny.Stream(seed: 9), Tiny.BytesPerToken,
                Options(checkpoint, steps: 24) with { Resume = true, PauseAtStep = pause });
            if (pause is int p)
            {
                last.Status.Should().Be(TrainingStatus.Paused);
                last.History.Should().HaveCount(p);
                last.History[^1].ValidationLoss.Should()
                    .NotBeNull("a pause evaluates, so successive halving can rank the trial there");
            }
        }
        last!.Status.Should().Be(TrainingStatus.Completed);
        Losses(last).Should().Equal(Losses(straight), (a, b) => Math.Abs(a - b) <= 1e-6);
        last.History.Select(h =>
            h.LrFactor).Should().Equal(straight.History.Select(h =>
            h.LrFactor), "pausing does not shorten the schedule");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_checkpoint_of_a_different_run_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        string checkpoint = Path.Combine(dir, "c.ckpt");
        using (var model = Gpt.Create(Tiny.Config(), seed: 1))
            TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Options(checkpoint, steps: 5));
        using var other = Gpt.Create(Tiny.Config(), seed: 1);
        FluentActions.Invoking(() => TrainingLoop.Train(other, Tiny.Stream(), null, Tiny.BytesPerToken,
            Options(checkpoint, steps: 5) with { MatrixLearningRate = 0.01, Resume = true }))
            .Should().Throw<InvalidOperationException>().WithMessage("*written by a different run*");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        string checkpoint = Path.Combine(dir, "t.ckpt");
        using (var model = Gpt.Create(Tiny.Config(), seed: 1))
            TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Options(checkpoint, steps: 5));
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length * 2 / 3)]);
        using var again = Gpt.Create(Tiny.Config(), seed: 1);
        FluentActions.Invoking(() => TrainingLoop.Train(again, Tiny.Stream(), null, Tiny.BytesPerToken,
            Options(checkpoint, steps: 5) with { Resume = true }))
            .Should().Throw<InvalidDataException>().WithMessage("*truncated or corrupted*");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Resume_without_a_checkpoint_path_is_an_option_error()
    {
        using var model = Gpt.Create(Tiny.Config(), seed: 1);
        FluentActions.Invoking(() => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(5) with { Resume = true }))
            .Should().Throw<ArgumentException>().WithMessage("*Resume*needs CheckpointPath*");
    }

    [Fact]
    public void Divergence_names_the_step_and_the_last_good_checkpoint()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        string checkpoint = Path.Combine(dir, "d.ckpt");
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Dense), seed: 1);
        // Healthy for 10 steps (a checkpoint at 7), then the learning rate explodes through a custom schedule-free
        // trick: a huge Muon LR from the start kills the network within a few steps.
        var result = TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Options(checkpoint, steps: 40) with { MatrixLearningRate = 1e30, CheckpointEverySteps = 1 });
        result.Status.Should().Be(TrainingStatus.Diverged);
        result.Message.Should().Contain("diverged at step").And.Contain("last good checkpoint").And.Contain(checkpoint);
        Directory.Delete(dir, true);
    }

    sealed class Sync(Action<TrainingProgress> a) : IProgress<TrainingProgress> { public void Report(TrainingProgress v) => a(v); }
}
