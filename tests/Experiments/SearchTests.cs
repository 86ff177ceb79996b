// The search machinery on a synthetic runner (no training, so every decision is checked exactly and fast), and the
// monitor, objective and model directory on real tiny trials.
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Experiments;

public class SearchTests
{
    static readonly string[] Rates = ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"];
    static readonly string[] Ranks = ["4", "8", "16"];

    /// <summary>Loss of a configuration after <c>step</c> steps: a bowl in log learning rate (best at 0.02), better at
    /// higher rank, falling with steps the same way for every configuration.</summary>
    static double Loss(IReadOnlyDictionary<string, string> p, int step)
    {
        double lr = double.Parse(p["MatrixLearningRate"], CultureInfo.InvariantCulture);
        double rank = p.TryGetValue("AttentionRank", out var r) ? double.Parse(r, CultureInfo.InvariantCulture) : 8;
        return 2 + Math.Pow(Math.Log(lr / 0.02), 2) / 4 + 1.0 / rank + 3.0 / Math.Sqrt(step);
    }

    /// <summary>Trains nothing: answers with <see cref="Loss"/>, honouring the pause step like the real
    /// runner.</summary>
    sealed class SyntheticRunner : ITrialRunner
    {
        public List<TrialSettings> Runs { get; } = [];
        public Action<TrialSettings>? OnRun { get; set; }

        public TrialResult Run(TrialContext context, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            OnRun?.Invoke(context.Settings);
            ct.ThrowIfCancellationRequested();
            Runs.Add(context.Settings);
            int steps = context.Settings.PauseAtStep ?? context.Baseline.Training.MaxSteps!.Value;
            double loss = Loss(context.Settings.Parameters, steps);
            context.Progress?.Report(new TrainingProgress(steps, steps * 100L, loss, loss, 1000, 1, TimeSpan.Zero));
            return new TrialResult
            {
                Id = context.Settings.Id, Index = context.Settings.Index,
                    Parameters = new(context.Settings.Parameters), Configuration = [],
                Status = context.Settings.PauseAtStep is null ? TrialStatus.Completed : TrialStatus.Paused,
                CrossEntropy = loss, Perplexity = Math.Exp(loss), BitsPerByte = loss / Math.Log(2), Steps = steps,
                    Tokens = steps * 100L,
                SecondsToThreshold = loss, TokensToThreshold = (long)(1000 * loss),
            };
        }
    }

    static LowRankExperiment Synthetic(string dir, ITrialRunner runner, SearchSpace space, int steps = 270) =>
        new MLContext(seed: 1).LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps))
            .SetSearchSpace(space)
            .SetTrialBudget(steps: steps)
            .SetTrialRunner(runner)
            .SetResultDirectory(dir);

    static SearchSpace Grid => new SearchSpace().Add("MatrixLearningRate", Rates).Add("AttentionRank", Ranks);

    [Fact]
    public async Task Successive_halving_finds_the_grid_best_with_a_fraction_of_its_compute()
    {
        using var dirTemp = new TempDirectory("asha-");
        string dir = dirTemp.Path;
        var runner = new SyntheticRunner();
        var best = new List<TrialResult>();
        var result = await Synthetic(dir, runner,
            Grid).SetGridSearch().SetSuccessiveHalving(minSteps: 10).SetMonitor(new BestMonitor(best.Add)).RunAsync();

        var summary = result.EarlyStopping!;
        summary.Rungs.Should().Equal(10, 30, 90, 270);
        summary.CandidatesPerRung[0].Should().Be(27, "every candidate starts");
        summary.CandidatesPerRung.Should().BeInDescendingOrder();
        summary.CandidatesPerRung[^1].Should().BeGreaterThan(0);
        summary.FullGridSteps.Should().Be(27 * 270);
        summary.StepsTrained.Should().Be(result.Trials.Sum(t =>
            (long)t.Steps), "each candidate's steps are those of its last rung");
        summary.ComputeFraction.Should().BeLessThan(0.4);

        result.BestTrial!.Parameters.Should().Equal(new Dictionary<string, string> { ["MatrixLearningRate"] = "0.02",
            ["AttentionRank"] = "16" }, "the bowl's minimum");
        result.BestTrial.Status.Should().Be(TrialStatus.Completed);
        result.BestTrial.Steps.Should().Be(270, "a finalist trains its whole budget");
        result.Trials.Should().HaveCount(27);
        result.Trials.Count(t => t.Status == TrialStatus.Completed).Should().Be(summary.CandidatesPerRung[^1]);
        result.Trials.Where(t => t.Status != TrialStatus.Completed).Should().OnlyContain(t =>
            t.Status == TrialStatus.Stopped && t.Steps < 270);
        best[^1].Id.Should().Be(result.BestTrial.Id);
        runner.Runs.Select(r => (r.Id, r.Rung)).Should().OnlyHaveUniqueItems("no rung of a candidate runs twice");
        // A continued candidate resumes from its rung: every run but a first rung has the previous rung recorded.
        Directory.EnumerateFiles(Path.Combine(dir, "rungs")).Should().HaveCount(runner.Runs.Count);
        Directory.Exists(Path.Combine(dir, "claims")).Should().BeTrue();
        new ResultStore(dir).Claims(TimeSpan.FromMinutes(15)).Active().Should().BeEmpty("every claim is released");
    }

    [Fact]
    public async Task Successive_halving_resumes_after_an_interruption_and_shards_share_one_run()
    {
        using var straightDirTemp = new TempDirectory("asha-");
        string straightDir = straightDirTemp.Path;
        var straight = await Synthetic(straightDir, new SyntheticRunner(),
            Grid).SetGridSearch().SetSuccessiveHalving(10).RunAsync();

        // Interrupted after 20 runs, then resumed.
        using var dirTemp = new TempDirectory("asha-");
        string dir = dirTemp.Path;
        using var cancel = new CancellationTokenSource();
        var first = new SyntheticRunner();
        first.OnRun = _ => { if (first.Runs.Count == 20) cancel.Cancel(); };
        var act = () => Synthetic(dir, first, Grid).SetGridSearch().SetSuccessiveHalving(10).RunAsync(cancel.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        var second = new SyntheticRunner();
        var resumed = await Synthetic(dir, second, Grid).SetGridSearch().SetSuccessiveHalving(10).RunAsync();
        first.Runs.Should().HaveCount(20);
        (first.Runs.Count + second.Runs.Count).Should().Be(CountRuns(straightDir), "nothing finished runs again");
        Outcome(resumed).Should().Equal(Outcome(straight));

        // Two shards over one directory, one after the other (as two tasks of a job array that do not overlap).
        using var sharedTemp = new TempDirectory("asha-");
        string shared = sharedTemp.Path;
        await Synthetic(shared, new SyntheticRunner(), Grid).SetGridSearch().SetSuccessiveHalving(10).SetShard(0,
            2).RunAsync();
        var both = await Synthetic(shared, new SyntheticRunner(),
            Grid).SetGridSearch().SetSuccessiveHalving(10).SetShard(1, 2).RunAsync();
        both.Trials.Should().HaveCount(27);
        both.BestTrial!.Id.Should().Be(straight.BestTrial!.Id);
        both.Trials.Should().OnlyContain(t => t.Status == TrialStatus.Completed || t.Status == TrialStatus.Stopped);
    }

    [Fact]
    public async Task Two_experiments_racing_over_one_directory_run_each_rung_once()
    {
        using var temp = new TempDirectory("asha-race-");
        // Both run every candidate (no shards): only the claims keep them apart. Each experiment's first run waits
        // until the other has started one too (a thread-pool start on a loaded machine can otherwise let one finish all
        // 27 before the other begins), and each run takes a moment, so they overlap.
        var runners = new[] { new SyntheticRunner(), new SyntheticRunner() };
        using var bothStarted = new CountdownEvent(runners.Length);
        foreach (var r in runners)
        {
            var runner = r;
            runner.OnRun = _ =>
            {
                if (runner.Runs.Count == 0
                    && !bothStarted.IsSet) { bothStarted.Signal(); bothStarted.Wait(TimeSpan.FromSeconds(30)); }
                Thread.Sleep(5);
            };
        }
        var results = await Task.WhenAll(runners.Select(r => Task.Run(() => Synthetic(temp.Path, r,
            Grid).SetGridSearch().SetSuccessiveHalving(10).RunAsync())));
        var runs = runners.SelectMany(r => r.Runs).Select(r => (r.Id, r.Rung)).ToList();
        runs.Should().OnlyHaveUniqueItems("a claimed rung is never run by the other experiment");
        runners.Should().OnlyContain(r => r.Runs.Count > 0, "both did part of the work");
        runs.Should().HaveCount(CountRuns(temp.Path));
        var final = await Synthetic(temp.Path, new SyntheticRunner(),
            Grid).SetGridSearch().SetSuccessiveHalving(10).RunAsync();
        final.Trials.Should().HaveCount(27);
        final.Trials.Should().OnlyContain(t => t.Status == TrialStatus.Completed || t.Status == TrialStatus.Stopped);
        final.BestTrial!.Parameters.Should().Equal(new Dictionary<string, string> { ["MatrixLearningRate"] = "0.02",
            ["AttentionRank"] = "16" });
    }

    [Fact]
    public async Task A_transient_failure_runs_again_on_a_rerun_and_a_deterministic_one_does_not()
    {
        using var temp = new TempDirectory("transient-");
        var space = new SearchSpace().Add("MatrixLearningRate", "0.01", "0.02", "0.05");
        var failing = new FailingRunner(new() { ["0.01"] = true, ["0.05"] = false });
        await Synthetic(temp.Path, failing, space).SetGridSearch().RunAsync();
        failing.Runs.Should().HaveCount(3);
        var rerun = new FailingRunner([]);
        var result = await Synthetic(temp.Path, rerun, space).SetGridSearch().RunAsync();
        rerun.Runs.Select(r =>
            r.Parameters["MatrixLearningRate"]).Should().Equal(["0.01"], "only the transient failure is retried");
        result.Trials.Single(t =>
            t.Parameters["MatrixLearningRate"] == "0.01").Status.Should().Be(TrialStatus.Completed);
        result.Trials.Single(t => t.Parameters["MatrixLearningRate"] == "0.05").Status.Should().Be(TrialStatus.Failed);

        // Under successive halving too: the failed rung's record is removed when the next run starts.
        using var halving = new TempDirectory("transient-asha-");
        var first = new FailingRunner(new() { ["0.02"] = true });
        await Synthetic(halving.Path, first, space).SetGridSearch().SetSuccessiveHalving(10).RunAsync();
        var second = new FailingRunner([]);
        var after = await Synthetic(halving.Path, second, space).SetGridSearch().SetSuccessiveHalving(10).RunAsync();
        second.Runs.Should().Contain(r => r.Parameters["MatrixLearningRate"] == "0.02" && r.Rung == 0);
        first.Runs.Should().Contain(r => r.Parameters["MatrixLearningRate"] == "0.02" && r.Rung == 0);
        var retried = after.Trials.Single(t => t.Parameters["MatrixLearningRate"] == "0.02");
        retried.Status.Should()
            .Be(TrialStatus.Stopped, "retried, it trained its rungs; with three candidates none reaches the last");
        retried.Transient.Should().BeFalse();
        second.Runs.Should().OnlyContain(r => r.Parameters["MatrixLearningRate"] == "0.02", "the others' rungs stand");
    }

    /// <summary>The synthetic runner, but a trial whose rate is listed fails: transiently (true) or for good
    /// (false).</summary>
    sealed class FailingRunner(Dictionary<string, bool> failures) : ITrialRunner
    {
        readonly SyntheticRunner inner = new();
        public List<TrialSettings> Runs => inner.Runs;

        public TrialResult Run(TrialContext context, CancellationToken ct)
        {
            var result = inner.Run(context, ct);
            return failures.TryGetValue(context.Settings.Parameters["MatrixLearningRate"], out bool transient)
                ? result with { Status = TrialStatus.Failed,
                Error = transient ? "OutOfMemoryException: simulated" : "ArgumentException: simulated",
                    Transient = transient, Perplexity = null, CrossEntropy = null }
                : result;
        }
    }

    static int CountRuns(string dir) => Directory.EnumerateFiles(Path.Combine(dir, "rungs")).Count();

    static IEnumerable<string> Outcome(ExperimentResult r) => r.Trials.Select(t => $"{t.Id}:{t.Status}:{t.Steps}");

    [Fact]
    public async Task An_adaptive_tuner_beats_nothing_twice_and_replays_its_proposals_on_resume()
    {
        var space = new SearchSpace().AddRange("MatrixLearningRate", 0.0005, 0.5, logScale: true).Add("AttentionRank",
            Ranks);
        using var straightDirTemp = new TempDirectory("local-");
        string straightDir = straightDirTemp.Path;
        var straight = await Synthetic(straightDir, new SyntheticRunner(), space,
            steps: 100).SetTuner(AdaptiveTuners.LocalSearch(16, randomStarts: 4, seed: 3)).RunAsync();
        straight.Trials.Should().HaveCount(16);
        straight.Trials.Select(t => TrialKey.Of(t.Parameters)).Should().OnlyHaveUniqueItems();
        // Local search around the incumbent gets closer to the bowl's minimum than its own random starts did.
        double bestStart = straight.Trials.Take(4).Min(t => t.CrossEntropy!.Value);
        straight.BestTrial!.CrossEntropy!.Value.Should().BeLessThan(bestStart);

        using var dirTemp = new TempDirectory("local-");
        string dir = dirTemp.Path;
        using var cancel = new CancellationTokenSource();
        var first = new SyntheticRunner();
        first.OnRun = _ => { if (first.Runs.Count == 6) cancel.Cancel(); };
        var act = () => Synthetic(dir, first, space,
            steps: 100).SetTuner(AdaptiveTuners.LocalSearch(16, 4, seed: 3)).RunAsync(cancel.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        var second = new SyntheticRunner();
        var resumed = await Synthetic(dir, second, space,
            steps: 100).SetTuner(AdaptiveTuners.LocalSearch(16, 4, seed: 3)).RunAsync();
        resumed.Trials.Select(t =>
            TrialKey.Of(t.Parameters)).Should().Equal(straight.Trials.Select(t =>
            TrialKey.Of(t.Parameters)), "the tuner replays the recorded trials and proposes as before");
        first.Runs.Should().HaveCount(6);
        second.Runs.Should().HaveCount(16 - 6, "the six finished trials are not run again");

        var shard = () => Synthetic(dir, second, space).SetTuner(AdaptiveTuners.LocalSearch(16)).SetShard(0,
            2).RunAsync();
        await shard.Should().ThrowAsync<InvalidOperationException>().WithMessage("*adaptive tuner*one process*");
    }

    /// <summary>Three trials, each the best by exactly one or two objectives, so the objective alone decides.</summary>
    sealed class DisagreeingRunner : ITrialRunner
    {
        static readonly Dictionary<string, (double Ppl, double Bpb, double Seconds, long Tokens)> Outcomes = new()
        {
            ["0.005"] = (20, 1.0, 30, 3000),
            ["0.02"] = (10, 1.5, 20, 1000),
            ["0.1"] = (30, 2.0, 5, 2000),
        };

        public TrialResult Run(TrialContext context, CancellationToken ct)
        {
            var o = Outcomes[context.Settings.Parameters["MatrixLearningRate"]];
            return new TrialResult
            {
                Id = context.Settings.Id, Index = context.Settings.Index,
                    Parameters = new(context.Settings.Parameters), Configuration = [],
                Status = TrialStatus.Completed, Perplexity = o.Ppl, CrossEntropy = Math.Log(o.Ppl), BitsPerByte = o.Bpb,
                SecondsToThreshold = o.Seconds, TokensToThreshold = o.Tokens, Steps = 50,
            };
        }
    }

    [Theory]
    [InlineData(ExperimentObjective.Perplexity, "0.02")]
    [InlineData(ExperimentObjective.BitsPerByte, "0.005")]
    [InlineData(ExperimentObjective.SecondsToThreshold, "0.1")]
    [InlineData(ExperimentObjective.TokensToThreshold, "0.02")]
    public async Task The_objective_decides_the_best_trial(ExperimentObjective objective, string best)
    {
        using var dirTemp = new TempDirectory("objective-");
        var result = await Synthetic(dirTemp.Path, new DisagreeingRunner(),
            new SearchSpace().Add("MatrixLearningRate", "0.005", "0.02", "0.1"), steps: 50)
            .SetGridSearch().SetObjective(objective).RunAsync();
        result.Objective.Should().Be(objective);
        result.BestTrial!.Parameters["MatrixLearningRate"].Should().Be(best);
    }

    [Fact]
    public async Task Monitors_hear_every_event_in_order_and_the_best_model_is_kept()
    {
        using var dirTemp = new TempDirectory("monitor-");
        string dir = dirTemp.Path;
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        var options = LmPipeline.Options(steps: 8);
        options.Training = options.Training with { ReportEvery = 2 };
        var events = new List<string>();
        var result = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), options)
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(new SearchSpace().Add("MatrixLearningRate", "0.02", "0.0001"))
            .SetGridSearch()
            .SetMonitor(new RecordingMonitor(events))
            .SetModelDirectory(Path.Combine(dir, "models"))
            .SetResultDirectory(dir)
            .RunAsync();

        string[] ids = result.Trials.Select(t => t.Id).ToArray();
        events.Should().Equal(
        [
            $"running {ids[0]}", $"progress {ids[0]} 2", $"progress {ids[0]} 4", $"progress {ids[0]} 6", $"progress {ids[0]} 8", $"completed {ids[0]}", $"best {ids[0]}",
            $"running {ids[1]}", $"progress {ids[1]} 2", $"progress {ids[1]} 4", $"progress {ids[1]} 6", $"progress {ids[1]} 8", $"completed {ids[1]}",
        ], "a learning rate 200× smaller does not beat the first trial in 8 steps");
        result.BestTrial!.Id.Should().Be(ids[0]);
        Directory.GetFiles(Path.Combine(dir, "models")).Select(Path.GetFileName).Order(StringComparer.Ordinal).Should()
            .Equal("best.json", "best.zip");
        var best = ml.LowRank().LoadModel(Path.Combine(dir, "models", "best.zip"));
        var metrics = ml.LowRank().Evaluate(best.Transform(split.Validation));
        metrics.Perplexity.Should().BeApproximately(result.BestTrial.Perplexity!.Value,
            1e-6 * metrics.Perplexity, "the kept model is the best trial's");
        best.GetLanguageModel().Dispose();
    }

    sealed class BestMonitor(Action<TrialResult> onBest) : MonitorBase
    {
        public override void ReportBestTrial(TrialResult result) => onBest(result);
    }

    sealed class RecordingMonitor(List<string> events) : IMonitor
    {
        public void ReportRunningTrial(TrialSettings trial) => events.Add($"running {trial.Id}");
        public void ReportTrialProgress(TrialSettings trial,
            TrainingProgress progress) => events.Add($"progress {trial.Id} {progress.Step}");
        public void ReportCompletedTrial(TrialSettings trial,
            TrialResult result) => events.Add($"completed {trial.Id}");
        public void ReportFailTrial(TrialSettings trial, TrialResult result) => events.Add($"failed {trial.Id}");
        public void ReportBestTrial(TrialResult result) => events.Add($"best {result.Id}");
    }
}
