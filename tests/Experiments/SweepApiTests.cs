using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Reporting;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Experiments;

public class SweepApiTests
{
    internal static LowRankExperiment Experiment(MLContext ml, string dir, SearchSpace space,
        LowRankLmTrainer.Options? baseline = null)
    {
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        return ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), baseline ?? LmPipeline.Options(steps: 10))
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(space)
            .SetResultDirectory(dir);
    }

    [Fact]
    public async Task A_small_sweep_produces_records_summaries_a_report_and_plots()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        var ml = new MLContext(seed: 1);
        var events = new List<ExperimentProgress>();
        var results = await Experiment(ml, dir,
            new SearchSpace().Add("AttentionRank", "dense", "4", "8").Add("MlpRank", "dense", "8", "16"))
            .SetOneAtATimeScan()
            .SetMonitor(new SyncProgress<ExperimentProgress>(events.Add))
            .RunAsync();

        results.Should().HaveCount(5, "baseline + 2 attention ranks + 2 MLP ranks");
        results.Should().OnlyContain(r => r.Status == TrialStatus.Completed && r.Perplexity > 1
            && r.LossCurve.Count > 1);
        results.Select(r => TrialKey.Of(r.Parameters)).Should().OnlyHaveUniqueItems();
        results[0].Parameters.Should().Equal(new Dictionary<string, string> { ["AttentionRank"] = "dense",
            ["MlpRank"] = "dense" });
        results.Single(r => r.Parameters["AttentionRank"] == "4").AttentionRanks.Should().Equal(4, 4);
        results.Single(r =>
            r.Parameters["MlpRank"] == "8").NonEmbeddingParameters.Should()
            .BeLessThan(results[0].NonEmbeddingParameters);
        events.Count(e => e.Result is not null).Should().Be(5);
        // MFU = training FLOPs per token (model-spec §3) × tokens/s ÷ the measured peak of the training device.
        double peak = MLNet.LowRank.Training.MachinePeak.Float32FlopsPerSecond();
        foreach (var r in results)
        {
            r.Mfu.Should().BeApproximately(r.FlopsPerToken * r.TokensPerSecond / peak, 1e-12 + 1e-9 * r.Mfu);
            r.Mfu.Should().BeInRange(1e-7, 1, "a real fraction of the peak");
        }

        File.ReadAllLines(Path.Combine(dir, "summary.jsonl")).Should().HaveCount(5);
        File.ReadAllLines(Path.Combine(dir, "summary.csv")).Should().HaveCount(6);
        string report = File.ReadAllText(ReportWriter.Write(dir));
        // The report says what these five records say: the best trial, every trial ranked by perplexity, the frontier.
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var ranked = results.OrderBy(r => r.Perplexity).ToList();
        report.Should()
            .Contain($"**Best trial:** #{ranked[0].Index} ({TrialKey.Of(ranked[0].Parameters)}): " +
            $"perplexity {ranked[0].Perplexity!.Value.ToString("F3", ci)}");
        var rows =
            report.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| \d+ \|")).ToList();
        rows.Should().HaveCount(5);
        rows.Select(l => int.Parse(l.Split('|')[1].Trim(),
            ci)).Should().Equal(ranked.Select(r => r.Index), "rows ranked by validation perplexity");
        rows.Select(l => l.Split('|')[6].Trim()).Should().Equal(ranked.Select(r => r.Perplexity!.Value.ToString("F3",
            ci)));
        // Frontier by definition: no other trial has at most as many parameters and at most the perplexity, one
        // strictly.
        var frontier = ranked.Where(a => !ranked.Any(b => b != a
            && b.NonEmbeddingParameters <= a.NonEmbeddingParameters && b.Perplexity <= a.Perplexity
            && (b.NonEmbeddingParameters < a.NonEmbeddingParameters
            || b.Perplexity < a.Perplexity))).OrderBy(t => t.NonEmbeddingParameters).ToList();
        frontier.Should().NotBeEmpty();
        var frontierLine = report.Split('\n').SkipWhile(l => !l.StartsWith("## Pareto frontier (non-embedding",
            StringComparison.Ordinal)).Skip(2).First();
        frontierLine.Trim().Should().Be(string.Join(", ",
            frontier.Select(t => $"#{t.Index} ({t.NonEmbeddingParameters:N0}, {t.Perplexity!.Value.ToString("F2", ci)})")));
        foreach (var png in new[] { "loss_vs_time.png", "parameters.png", "pareto.png", "rank_profile.png", "perplexity_vs_attentionrank.png", "perplexity_vs_mlprank.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, png));
            bytes.Length.Should().BeGreaterThan(5_000, png);
            bytes[..4].Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_diverging_trial_is_recorded_and_the_sweep_goes_on()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        var baseline = LmPipeline.Options(steps: 30);
        baseline.Training = baseline.Training with { GradientClip = 0, DivergenceLoss = 20 };
        var results = await Experiment(new MLContext(1), dir, new SearchSpace(), baseline)
            .SetTrials([
                // RMS norms and QK-norm absorb huge embedding and head steps; a huge Muon step overflows relu² to
                // Inf/NaN.
                new Dictionary<string, string> { ["MatrixLearningRate"] = "1e30" },
                new Dictionary<string, string> { ["EmbeddingLearningRate"] = "0.2", ["HeadLearningRate"] = "0.004" },
                new Dictionary<string, string> { ["Depth"] = "2", ["HeadDim"] = "12" },
            ])
            .RunAsync();
        results.Select(r => r.Status).Should().Equal(TrialStatus.Diverged, TrialStatus.Completed, TrialStatus.Failed);
        results[0].Error.Should().Contain("diverged at step");
        results[2].Error.Should().Contain("HeadDim");
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_trial_finished_in_another_run_directory_is_copied_not_rerun()
    {
        string first = Directory.CreateTempSubdirectory().FullName,
            second = Directory.CreateTempSubdirectory().FullName, third = Directory.CreateTempSubdirectory().FullName;
        var ml = new MLContext(1);
        var done = await Experiment(ml, first,
            new SearchSpace().Add("AttentionRank", "4", "8")).SetGridSearch().RunAsync();

        // The same model named differently (MlpRank 8 is the baseline's value) plus one new trial.
        var results = await Experiment(ml, second, new SearchSpace())
            .SetTrials([new Dictionary<string, string> { ["MlpRank"] = "16" },
            new Dictionary<string, string> { ["AttentionRank"] = "8", ["MlpRank"] = "8" }])
            .SetReuse(first)
            .RunAsync();
        results.Should().HaveCount(2);
        results[0].CopiedFrom.Should().BeNull();
        results[1].CopiedFrom.Should().Be("../" + Path.GetFileName(first) + "/trials/" + done[1].Id + ".json");
        results[1].Parameters.Should().ContainKey("MlpRank");
        results[1].Perplexity.Should().Be(done[1].Perplexity);
        results[1].FinishedUtc.Should().Be(done[1].FinishedUtc, "the record is the first run's, not a new training");

        // A different per-trial budget is a different experiment: nothing is copied.
        var other = await Experiment(ml, third, new SearchSpace(), LmPipeline.Options(steps: 12))
            .SetTrials([new Dictionary<string, string> { ["AttentionRank"] = "8" }])
            .SetReuse(first)
            .RunAsync();
        other.Single().CopiedFrom.Should().BeNull();
        other.Single().Steps.Should().Be(12);
        foreach (var d in new[] { first, second, third }) Directory.Delete(d, true);
    }

    [Fact]
    public async Task Advanced_training_and_evaluation_options_are_part_of_a_trials_identity()
    {
        string first = Directory.CreateTempSubdirectory().FullName,
            second = Directory.CreateTempSubdirectory().FullName;
        var ml = new MLContext(1);
        var trial = new Dictionary<string, string> { ["AttentionRank"] = "8" };
        var done = await Experiment(ml, first, new SearchSpace()).SetTrials([trial]).RunAsync();
        done.Single().Configuration.Should()
            .ContainKeys("WarmupSteps", "WarmdownFraction", "GradientClip", "AdamBeta1", "AdamBeta2",
            "MuonMomentum", "MuonMomentumWarmupSteps", "WeightDecay", "EvalEvery", "EvalTokens");

        foreach (var (name, changed) in new (string, Func<LowRankLmTrainer.Options, LowRankLmTrainer.Options>)[]
        {
            ("WarmupSteps", o => { o.Training = o.Training with { WarmupSteps = 3 }; return o; }),
            ("AdamBeta2", o => { o.Training = o.Training with { AdamBeta2 = 0.99 }; return o; }),
            ("EvalTokens", o => { o.Training = o.Training with { EvalTokens = 128 }; return o; }),
        })
        {
            // The same directory with one advanced option changed is another experiment, named by that option ...
            var other = Experiment(ml, first, new SearchSpace(),
                changed(LmPipeline.Options(steps: 10))).SetTrials([trial]);
            await FluentActions.Awaiting(() =>
                other.RunAsync()).Should().ThrowAsync<InvalidOperationException>().WithMessage($"*baseline.{name}*");
            // ... and a trial trained with it is not copied from the first directory.
            var rerun = await Experiment(ml, second, new SearchSpace(),
                changed(LmPipeline.Options(steps: 10))).SetTrials([trial]).SetReuse(first).RunAsync();
            rerun.Single().CopiedFrom.Should().BeNull(name);
            Directory.Delete(second, true);
            Directory.CreateDirectory(second);
        }
        foreach (var d in new[] { first, second }) Directory.Delete(d, true);
    }

    [Fact]
    public async Task A_run_directory_of_another_experiment_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        await Experiment(new MLContext(1), dir, new SearchSpace().Add("AttentionRank", "4")).SetGridSearch().RunAsync();
        var other = Experiment(new MLContext(1), dir, new SearchSpace().Add("AttentionRank", "8")).SetGridSearch();
        await FluentActions.Awaiting(() => other.RunAsync()).Should().ThrowAsync<InvalidOperationException>()
            .WithMessage("*belongs to a different experiment*searchSpace*");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Tuners_choose_the_documented_trials()
    {
        var space = new SearchSpace().Add("AttentionRank", "dense", "8").Add("MlpRank", "dense", "16", "32");
        Tuners.Grid().Trials(space).Should().HaveCount(6);
        var scan = Tuners.OneAtATime(new Dictionary<string, string> { ["AttentionRank"] = "8",
            ["MlpRank"] = "16" }).Trials(space);
        scan.Select(TrialKey.Of).Should()
            .Equal("AttentionRank=8;MlpRank=16", "AttentionRank=dense;MlpRank=16", "AttentionRank=8;MlpRank=dense", "AttentionRank=8;MlpRank=32");
        var random = Tuners.Random(4,
            seed: 3).Trials(new SearchSpace().AddRange("MatrixLearningRate", 1e-3, 1e-1,
            logScale: true).Add("MlpRank", "8", "16"));
        random.Should().HaveCount(4);
        random.Select(TrialKey.Of).Should().Equal(Tuners.Random(4,
            seed: 3).Trials(new SearchSpace().AddRange("MatrixLearningRate", 1e-3, 1e-1,
            logScale: true).Add("MlpRank", "8", "16")).Select(TrialKey.Of));
        random.Select(t => double.Parse(t["MatrixLearningRate"],
            System.Globalization.CultureInfo.InvariantCulture)).Should().OnlyContain(v => v >= 1e-3 && v <= 1e-1);
        FluentActions.Invoking(() => Tuners.Grid().Trials(new SearchSpace().AddRange("MatrixLearningRate", 0.001,
            0.1))).Should().Throw<ArgumentException>().WithMessage("*is a range*");
        FluentActions.Invoking(() =>
            new SearchSpace().Add("MlpRnak", "8")).Should().Throw<ArgumentException>()
            .WithMessage("*did you mean 'MlpRank'*");
    }

    sealed class RankSpace
    {
        [Microsoft.ML.SearchSpace.Choice(new object[] { "dense", 8, 16 }, "16")]
        public string AttentionRank { get; set; } = "";

        [Microsoft.ML.SearchSpace.Range(0.001, 0.1, 0.02, true)]
        public double MatrixLearningRate { get; set; }
    }

    [Fact]
    public void A_search_space_can_come_from_ml_net_search_space_attributes()
    {
        var space = SearchSpace.FromAttributes<RankSpace>(out var baseline);
        space.Dimensions.Select(d => d.Name).Should().Equal("AttentionRank", "MatrixLearningRate");
        space.Dimensions[0].Choices.Should().Equal("dense", "8", "16");
        space.Dimensions[1].Should().Match<SearchDimension>(d => d.IsRange && d.Min == 0.001 && d.Max == 0.1
            && d.LogScale && !d.Integer);
        baseline.Should().Equal(new Dictionary<string, string> { ["AttentionRank"] = "16",
            ["MatrixLearningRate"] = "0.02" });
    }

    [Fact]
    public void Trial_parameters_round_trip_through_options()
    {
        var o = new LowRankLmTrainer.Options();
        foreach (var (name,
            value) in new[] { ("AttentionRank", "Linear:8:64"), ("MlpRank", "0.25"), ("HeadRank", "16"),
            ("Variant", "Cola"), ("Init", "Spectral"), ("Optimizer", "AdamW"), ("MatrixLearningRate", "0.01"),
                ("Depth", "6") })
        {
            TrialParameters.Set(o, name, value);
            TrialParameters.Get(o, name).Should().Be(value, name);
        }
        TrialParameters.Set(o, "AttentionRank", "Step:8:64:0.25");
        TrialParameters.Get(o, "AttentionRank").Should().Be("Step:8:64:0.25");
        FluentActions.Invoking(() =>
            TrialParameters.Set(o, "Depth", "four")).Should().Throw<ArgumentException>().WithMessage("*Depth*'four'*");
    }

    sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
    {
        public void Report(T value) => onReport(value);
    }
}

public class HeadRankSweepTests
{
    [Fact]
    public async Task A_sweep_over_head_rank_fractions_trains_heads_of_those_ranks()
    {
        using var dir = new TempDirectory("lowrank-headrank-");
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        var results = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps: 2))
            .SetDataset(split.Train, split.Validation)
            .SetSearchSpace(new SearchSpace().Add("HeadRank", "0.25", "0.5", "1.0", "dense", "8"))
            .SetGridSearch()
            .SetResultDirectory(dir.Path)
            .RunAsync();
        results.Should().HaveCount(5).And.OnlyContain(r => r.Status == TrialStatus.Completed);
        // min(width 32, vocabulary 257) = 32: a fraction f gives rank round(32 f); the factored head has rank·(32 +
        // 257) values.
        long Head(string rank) => results.Single(r => r.Parameters["HeadRank"] == rank).HeadParameters;
        Head("0.25").Should().Be(8 * (32 + 257));
        Head("0.5").Should().Be(16 * (32 + 257));
        Head("1.0").Should().Be(32 * (32 + 257), "a fraction of 1.0 is the full rank 32, not an absolute rank of 1");
        Head("8").Should().Be(Head("0.25"));
        Head("dense").Should().Be(32 * 257);
    }

    [Fact]
    public void A_sweep_naming_an_unknown_variant_or_an_unparsable_value_is_refused_before_any_trial()
    {
        using var dir = new TempDirectory("lowrank-badsweep-");
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, 0.25);
        LowRankExperiment X(SearchSpace space) => ml.LowRank().CreateExperiment().SetPipeline(LmTokenizer.Bytes(),
            LmPipeline.Options(steps: 2))
            .SetDataset(split.Train, split.Validation).SetSearchSpace(space).SetGridSearch().SetResultDirectory(dir.Path);
        FluentActions.Awaiting(() => X(new SearchSpace().Add("Variant", "Factored", "Tucker")).RunAsync()).Should().ThrowAsync<ArgumentException>()
            .WithMessage("*Tucker*Known: Dense, Factored*").GetAwaiter().GetResult();
        FluentActions.Awaiting(() => X(new SearchSpace().Add("MlpRank", "8", "Linear:8")).RunAsync()).Should().ThrowAsync<ArgumentException>()
            .WithMessage("*MlpRank*Linear:8*two numbers*").GetAwaiter().GetResult();
        Directory.Exists(Path.Combine(dir.Path, "trials")).Should().BeFalse("nothing was claimed or trained");
    }
}

/// <summary>A trial record cut short (a full disk, a hand edit) must not abort a resumed sweep or its report.</summary>
public class DamagedRecordTests
{
    [Fact]
    public async Task A_damaged_trial_record_is_kept_aside_and_its_trial_runs_again_without_aborting_the_sweep_or_report()
    {
        using var dir = new TempDirectory("lowrank-corrupt-");
        var ml = new MLContext(seed: 1);
        var space = new SearchSpace().Add("AttentionRank", "4", "8");
        var first = await SweepApiTests.Experiment(ml, dir.Path, space, LmPipeline.Options(steps: 2)).SetGridSearch().RunAsync();
        first.Should().HaveCount(2);
        string damaged = Path.Combine(dir.Path, "trials", first[1].Id + ".json");
        File.WriteAllText(damaged, File.ReadAllText(damaged)[..40]);   // cut short, as a full disk would leave it

        var store = new ResultStore(dir.Path);
        store.ReadAll().Should().ContainSingle().Which.Id.Should().Be(first[0].Id);
        store.Unreadable.Should().ContainSingle().Which.Reason.Should().StartWith("not a valid trial record");
        store.IsFinished(first[1].Id).Should().BeFalse("a damaged record does not count as finished");
        File.ReadAllText(ReportWriter.Write(dir.Path)).Should().Contain($"**Not included:** `{first[1].Id}.json` cannot be read");

        var again = await SweepApiTests.Experiment(ml, dir.Path, space, LmPipeline.Options(steps: 2)).SetGridSearch().RunAsync();
        again.Select(r => r.Id).Should().BeEquivalentTo(first.Select(r => r.Id));
        again.Single(r => r.Id == first[1].Id).CrossEntropy.Should().Be(first[1].CrossEntropy, "the trial ran again with the same seed");
        File.Exists(damaged + ".corrupt").Should().BeTrue("the damaged file is kept for inspection");
        new ResultStore(dir.Path).ReadAll().Should().HaveCount(2);
    }
}
