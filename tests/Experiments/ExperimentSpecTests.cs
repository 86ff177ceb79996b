// The experiment spec is the one form of a sweep's settings: a hand-written config, its saved copy and the experiment
// it configures name the same trials under the same identity; its defaults are the options' own; a job array's tasks
// read the effective spec (config plus flags) and plan exactly the trials of the command that emitted it.
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Experiments;

public class ExperimentSpecTests
{
    const string EveryKey = """
    {
      "corpus": "brown", "textField": "body", "validationFraction": 0.2, "tokenizer": "bytes",
      "baseline": { "Depth": 2, "ModelDim": 32, "HeadDim": 16, "SequenceLength": 32, "BatchSize": 4, "Variant": "Factored", "MlpRank": "Linear:4:8", "Seed": 3 },
      "searchSpace": { "AttentionRank": ["dense", 4, 8], "MatrixLearningRate": [0.01, 0.02] },
      "tuner": "random:4:7", "trialSteps": 12, "trialSeconds": 30, "evalEvery": 4, "evalTokens": 2048, "threshold": 300.5,
      "threads": 2, "experimentMinutes": 90, "earlyStopping": { "minSteps": 3, "reductionFactor": 2 }, "objective": "bitsPerByte",
      "modelDirectory": "models", "logDirectory": "tensorboard", "reuse": ["earlier"]
    }
    """;

    /// <summary>The experiment a spec configures, without data (so its identity needs no corpus).</summary>
    static LowRankExperiment Configured(ExperimentSpec spec) =>
        spec.Configure(new Microsoft.ML.MLContext(seed: 1).LowRank().CreateExperiment())
        .SetTrialRunner(new NeverRuns());

    sealed class NeverRuns : ITrialRunner
    {
        public TrialResult Run(TrialContext context,
            CancellationToken cancellationToken) => throw new InvalidOperationException("not run");
    }

    [Fact]
    public void A_saved_spec_reads_back_to_the_same_experiment_identity_and_trials()
    {
        var spec = ExperimentSpec.Parse(EveryKey, "sweep.json");
        foreach (bool everyOption in new[] { false, true })
        {
            var again = ExperimentSpec.Parse(spec.ToJson(everyOption), "saved.json");
            Configured(again).Fingerprint().Should().Equal(Configured(spec).Fingerprint());
            Configured(again).PlanTrials().Select(t =>
                t.Id).Should().Equal(Configured(spec).PlanTrials().Select(t => t.Id));
            again.ToJson().Should().Be(spec.ToJson(), "saving is stable");
        }
        spec.TrialBudget.Should().Be(new TrialBudget(steps: 12, seconds: 30));
        spec.Baseline.Training.Should().Match<TrainingOptions>(t => t.EvalEvery == 4 && t.EvalTokens == 2048
            && t.ThresholdPerplexity == 300.5 && t.Threads == 2);
        spec.EarlyStopping.Should().Be(new SuccessiveHalvingOptions(3, 2));
        spec.NamedOptions.Should().Contain(["EvalTokens", "ThresholdPerplexity", "MlpRank"]).And.NotContain("RopeBase");
        Configured(spec).Fingerprint()["trialBudget"].Should().Be("steps=12 tokens= seconds=30");
    }

    [Fact]
    public void Ranges_and_explicit_trials_round_trip()
    {
        var spec = ExperimentSpec.Parse("""
            { "searchSpace": { "MatrixLearningRate": { "min": 0.005, "max": 0.08, "logScale": true } },
              "trials": [ { "AttentionRank": "8" }, { "AttentionRank": "16", "MatrixLearningRate": 0.01 } ], "trialSteps": 5 }
            """, "s.json");
        spec.Tuner.Should().Be("explicit");
        var again = ExperimentSpec.Parse(spec.ToJson(), "saved.json");
        again.SearchSpace.Dimensions.Single().Should().Match<SearchDimension>(d => d.IsRange && d.Min == 0.005
            && d.Max == 0.08 && d.LogScale);
        Configured(again).PlanTrials().Select(t =>
            t.Id).Should().Equal(Configured(spec).PlanTrials().Select(t => t.Id)).And.HaveCount(2);
        FluentActions.Invoking(() =>
            ExperimentSpec.Parse("""{ "searchSpace": { "MatrixLearningRate": { "min": 0.1 } } }""", "s.json"))
            .Should().Throw<ArgumentException>().WithMessage("*MatrixLearningRate*needs \"min\" and \"max\"*");
    }

    [Fact]
    public void Its_defaults_are_the_options_own_so_EvalTokens_has_one_default()
    {
        var spec = new ExperimentSpec();
        spec.Baseline.Training.EvalTokens.Should().Be(new TrainingOptions().EvalTokens).And.Be(65_536);
        spec.Baseline.Training.EvalEvery.Should().Be(new TrainingOptions().EvalEvery);
        ExperimentSpec.Parse("{}", "empty.json").ToJson().Should()
            .Contain("\"baseline\": {}", "nothing away from its default is written");
    }

    [Fact]
    public void A_directory_made_with_the_former_sweep_default_keeps_it_unless_the_config_names_evalTokens()
    {
        using var dir = new TempDirectory("lowrank-spec-");
        File.WriteAllText(Path.Combine(dir.Path, "experiment.json"), """{ "baseline.EvalTokens": "32768" }""");
        var silent = ExperimentSpec.Parse("""{ "trialSteps": 3 }""", "s.json");
        silent.KeepFormerEvalTokensDefault(dir.Path).Should().BeTrue();
        silent.Baseline.Training.EvalTokens.Should().Be(32_768);

        var named = ExperimentSpec.Parse("""{ "trialSteps": 3, "evalTokens": 65536 }""", "s.json");
        named.KeepFormerEvalTokensDefault(dir.Path).Should().BeFalse("the config chose");
        named.Baseline.Training.EvalTokens.Should().Be(65_536);
        new ExperimentSpec().KeepFormerEvalTokensDefault(Path.Combine(dir.Path, "new")).Should()
            .BeFalse("a new directory takes the default");
    }

    [Theory]
    [InlineData("""{ "trailSteps": 5 }""", "unknown key \"trailSteps\"*did you mean 'trialSteps'")]
    [InlineData("""{ "baseline": { "Dept": 5 } }""", "unknown option \"Dept\"*did you mean 'Depth'")]
    [InlineData("""{ "experimentMinutes": 1e300 }""", "*experimentMinutes*at most 1,000,000,000 minutes*1e300*")]
    [InlineData("""{ "trials": [ 5 ] }""", "*trials*array of trials*")]
    public void A_bad_key_or_value_is_named(string json, string message) =>
        FluentActions.Invoking(() =>
        ExperimentSpec.Parse(json, "s.json")).Should().Throw<ArgumentException>().WithMessage($"*{message}*");

    [Fact]
    public void A_job_arrays_tasks_read_the_effective_spec_and_plan_the_emitting_commands_trials()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path, run = Path.Combine(dir, "run");
        string[] flags = ["--param", "MatrixLearningRate=0.01,0.03", "--tuner", "grid", "--trial-steps", "7"];
        var (code,
            output) = SweepFixture.Run(dir,
            ["sweep", "--config", "sweep.json", "--run-dir", run,
            .. flags, "--emit-sbatch", "job.sbatch", "--tasks", "3"]);
        code.Should().Be(0, output);
        string effective = Path.Combine(run, "sweep-spec.json");
        File.ReadAllText(Path.Combine(dir, "job.sbatch")).Should()
            .Contain($"sweep --config '{effective}' --run-dir '{run}'");

        var (listCode, emitted) = SweepFixture.Run(dir, "sweep", "--config", effective, "--run-dir", run, "--list");
        var (_, direct) = SweepFixture.Run(dir,
            ["sweep", "--config", "sweep.json", "--run-dir", run, .. flags, "--list"]);
        listCode.Should().Be(0, emitted);
        emitted.Should().Be(direct).And.Contain("MatrixLearningRate=0.03");
        emitted.Split('\n',
            StringSplitOptions.RemoveEmptyEntries).Should()
            .HaveCount(3 * 3 * 2, "the grid of the config's two dimensions and the flag's");
        var spec = ExperimentSpec.Load(effective);
        spec.TrialBudget!.Steps.Should().Be(7);
        spec.Baseline.Training.EvalTokens.Should().Be(1024, "the config's value, written out with every other option");
    }
}
