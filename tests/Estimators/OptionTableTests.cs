// The option table as a property: for every option and generated values of its type (edge integers and numbers,
// fractions including 1.0, dense, every rank-schedule kind with edge parameters, a registered custom kind), text
// written by Get reads back by Set to the same value; no two values that train differently describe themselves alike;
// the trial description and the checkpoint fingerprint change exactly when an option that changes the numbers changes.
using System.Reflection;
using Microsoft.ML;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Estimators;

public class OptionTableTests
{
    /// <summary>A registered kind whose own ToString says nothing useful: the text must come from how it was
    /// parsed.</summary>
    sealed class Doubling(double start) : RankSchedule
    {
        public override double RankAt(int layer, int depth, int maxRank) => start * Math.Pow(2, layer);
        public override void Validate(string option, int maxRank) { }
        public override string ToString() => "a doubling schedule";
    }

    static OptionTableTests()
    {
        try { ExtensionRegistry.RegisterRankSchedule("Doubling", p => new Doubling(p[0])); }
        catch (ArgumentException) { }   // registered by another test class already
    }

    static IEnumerable<RankSchedule?> Schedules() =>
    [
        null, 1, 64, Rank.Fraction(1.0), Rank.Fraction(0.25), Rank.Fraction(1.0 / 3), Rank.Fraction(1e-5),
        RankSchedule.Linear(8, 64), RankSchedule.Linear(64, 8), RankSchedule.Linear(4.5, 8.25),
            RankSchedule.Linear(1, 1),
        RankSchedule.Step(8, 64), RankSchedule.Step(8, 64, 0.3), RankSchedule.Step(8, 64, 1),
            RankSchedule.Exponential(4, 64), RankSchedule.Exponential(64, 4),
        RankSchedule.NegativeQuadratic(8, 64), RankSchedule.NegativeQuadratic(1, 2), RankSchedule.Parse("Doubling:3"),
            RankSchedule.Parse("Doubling:0.5"),
    ];

    /// <summary>Values of a type, edges included.</summary>
    static IEnumerable<object?> Values(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type);
        var t = inner ?? type;
        IEnumerable<object?> values =
            t == typeof(int) ? [0, 1, 3, 64, 65_537, int.MaxValue, -1]
            : t == typeof(long) ? [1L, 286_720L, long.MaxValue]
            : t == typeof(double) ? [0.0, 1e-10, 1e-6, 0.02, 1.0 / 3, 0.1 + 0.2, 1.0, 15.0, 1e300, -0.5]
            : t == typeof(bool) ? [true, false]
            : t.IsEnum ? Enum.GetValues(t).Cast<object?>()
            : t == typeof(RankSchedule) ? Schedules()
            : t == typeof(Rank) ? [Rank.Of(1), Rank.Of(64), Rank.Fraction(1.0), Rank.Fraction(0.25),
            Rank.Fraction(1e-5)]
            : t == typeof(LinearVariant) ? LinearVariant.BuiltIn
            : t == typeof(IOptimizerFactory) ? [Optimizers.MuonAdamW, Optimizers.AdamW]
            : throw new InvalidOperationException($"no generator for {type.Name}: add one, the property test must " +
            $"cover every option type");
        return inner is null && t != typeof(RankSchedule) && t != typeof(Rank) ? values : values.Append(null);
    }

    /// <summary>What a value trains as: a schedule by the ranks it resolves to at several depths and widths.</summary>
    static string Trains(object? value) => value switch
    {
        null => "null",
        RankSchedule s => string.Join("|",
            new[] { (1, 64), (4, 64), (8, 64), (3,
            16) }.Select(x => string.Join(",",
                Enumerable.Range(0, x.Item1).Select(i => s.ResolveAt(i, x.Item1, x.Item2))))),
        Rank r => $"{r.Absolute}/{r.FractionOfMax:R}",
        LinearVariant v => v.Name,
        IOptimizerFactory f => f.Name,
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    static LowRankLmTrainer.Options With(OptionDescriptor d, object? value)
    {
        var o = new LowRankLmTrainer.Options();
        switch (d.DeclaredIn)
        {
            case "Model": { var m = o.Model with { }; d.Property.SetValue(m, value); o.Model = m; break; }
            case "Training": { var t = o.Training with { }; d.Property.SetValue(t, value); o.Training = t; break; }
            default: d.Property.SetValue(o, value); break;
        }
        return o;
    }

    [Fact]
    public void Every_option_reads_back_what_it_writes_and_no_two_values_that_train_differently_share_a_text()
    {
        int cases = 0;
        foreach (var d in OptionTable.All)
        {
            var seen = new Dictionary<string, string>();   // text → what it trains as
            foreach (var value in Values(d.Type))
            {
                var o = With(d, value);
                string text = d.Get(o);
                var back = new LowRankLmTrainer.Options();
                d.Set(back, text);
                d.Get(back).Should().Be(text, $"{d.Name} = {text} reads back as written");
                object? read = d.Property.GetValue(d.DeclaredIn == "Model" ? back.Model
                    : d.DeclaredIn == "Training" ? back.Training : back);
                Trains(read).Should().Be(Trains(value), $"{d.Name} = {text} must set the value it was written from");
                if (seen.TryGetValue(text, out var other))
                    other.Should()
                        .Be(Trains(value), $"{d.Name}: two values that train differently both describe themselves as " +
                        $"'{text}'");
                seen[text] = Trains(value);
                cases++;
            }
        }
        cases.Should().BeGreaterThan(300);
        // The two the old text form confused: a fraction of 1.0 and an absolute rank of 1.
        RankSchedule.Format(Rank.Fraction(1.0)).Should().Be("1.0");
        RankSchedule.Format(1).Should().Be("1");
        Rank.Format(Rank.Fraction(0.25)).Should().Be("0.25");
        RankSchedule.Parse("Doubling:3")!.ToString().Should().Be("a doubling schedule");
        RankSchedule.Format(RankSchedule.Parse("Doubling:3")).Should().Be("Doubling:3");
    }

    [Fact]
    public void Every_declared_member_is_an_option_or_says_why_not_and_each_name_is_declared_once()
    {
        static IEnumerable<PropertyInfo> Settable(Type t) =>
            t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);
        var expected =
            Settable(typeof(GptConfig)).Concat(Settable(typeof(TrainingOptions)))
            .Concat(Settable(typeof(LowRankLmTrainer.Options)))
            .Where(p => !p.IsDefined(typeof(RunSettingAttribute)) && !p.IsDefined(typeof(FromDataAttribute))
            && p.Name is not ("Model" or "Training"))
            .Select(p => p.Name).ToList();
        OptionTable.Names.Should().BeEquivalentTo(expected);
        expected.Should().OnlyHaveUniqueItems();
        foreach (var knob in new[] { "MlpRatio", "RankMultiple", "LogitSoftCap", "RopeBase", "NormEps", "HeadRank", "DataSeed", "Seed" })
            TrialParameters.IsKnown(knob).Should().BeTrue($"{knob} is reachable from --set and sweeps");
        foreach (var runSetting in new[] { "Threads", "ReportEvery", "CheckpointPath", "CheckpointEverySteps", "CheckpointEverySeconds", "Resume", "PauseAtStep", "VocabSize", "TokensColumnName", "LogDirectory" })
            TrialParameters.IsKnown(runSetting).Should().BeFalse($"{runSetting} is not what a trial is");
        FluentActions.Invoking(() =>
            TrialParameters.Set(new LowRankLmTrainer.Options(), "MatrixLearningRat", "0.1")).Should()
            .Throw<ArgumentException>().WithMessage("*did you mean 'MatrixLearningRate'*");
    }

    [Fact]
    public void The_description_and_the_checkpoint_fingerprint_change_exactly_when_an_option_that_changes_the_numbers_changes()
    {
        var config = Tiny.Config(attentionRank: 8, mlpRank: 8);
        using var model = Gpt.Create(config, 1);
        var stream = Tiny.Stream();
        var baseOptions = Tiny.Options(4);
        string baseFingerprint = Checkpoint.Fingerprint(model, baseOptions, stream, null);
        foreach (var d in OptionTable.All.Where(d => d.DeclaredIn == "Training"))
        {
            var changed = Values(d.Type).Select(v => { var t = baseOptions with { }; d.Property.SetValue(t,
                v); return t; })
                .First(t => d.GetFrom(t) != d.GetFrom(baseOptions));
            Checkpoint.Fingerprint(model, changed, stream,
                null).Should().NotBe(baseFingerprint, $"{d.Name} changes the numbers a checkpoint continues");
        }
        foreach (var d in OptionTable.All.Where(d => d.DeclaredIn == "Model"))
        {
            var value = Values(d.Type).First(v => { var c = config with { }; d.Property.SetValue(c,
                v); return d.GetFrom(c) != d.GetFrom(config); });
            var c = config with { };
            d.Property.SetValue(c, value);
            string Text(GptConfig g) => OptionTable.DescribePart(g);
            Text(c).Should().NotBe(Text(config), $"{d.Name} changes the model");
        }
        // Run settings move neither.
        var run = baseOptions with { Threads = 1, ReportEvery = 7, CheckpointPath = "/tmp/x.ckpt",
            CheckpointEverySteps = 3, CheckpointEverySeconds = 1, Resume = true, PauseAtStep = 2 };
        Checkpoint.Fingerprint(model, run, stream, null).Should().Be(baseFingerprint);
        var o = new LowRankLmTrainer.Options
        {
            ValidationSet = null,
            LogDirectory = "/tmp/board",
            TokensColumnName = "Other",
        };
        o.Training = o.Training with { Threads = 2, CheckpointPath = "/tmp/c" };
        OptionTable.Describe(o).Should().Equal(OptionTable.Describe(new LowRankLmTrainer.Options()));
    }

    [Fact]
    public void The_mlcontext_seed_seeds_the_trainer_when_the_options_leave_it_unset()
    {
        double SecondLoss(int? contextSeed, int? optionsSeed)
        {
            var ml = contextSeed is int s ? new MLContext(seed: s) : new MLContext();
            var options = LmPipeline.Options(steps: 2);
            options.Seed = optionsSeed;
            using var lm = LmPipeline.Build(ml,
                options: options).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts)).GetLanguageModel();
            return lm.History[1].TrainLoss;   // the first is ln V whatever the seed: lm_head starts at zero
        }
        SecondLoss(7, null).Should().Be(SecondLoss(7, null));
        SecondLoss(7, null).Should().NotBe(SecondLoss(8, null), "the context's seed reaches the initialisation");
        SecondLoss(7, 3).Should().Be(SecondLoss(8, 3), "an explicit seed wins over the context's");
        SecondLoss(null, null).Should().Be(SecondLoss(1, null), "a context without a seed gives seed 1");
    }

    [Fact]
    public void Cancel_execution_stops_training_and_writes_the_checkpoint()
    {
        using var dir = new TempDirectory("lowrank-cancel-");
        var ml = new MLContext(seed: 1);
        int reports = 0;
        var options = LmPipeline.Options(steps: 10_000);
        options.Training = options.Training with { ReportEvery = 3, CheckpointPath = Path.Combine(dir.Path, "c.ckpt") };
        options.Progress = new SynchronousProgress<TrainingProgress>(_ => { if (++reports == 2) CancelExecution(ml); });
        FluentActions.Invoking(() => LmPipeline.Build(ml,
            options: options).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts))).Should()
            .Throw<OperationCanceledException>();
        reports.Should().Be(2);
        File.Exists(Path.Combine(dir.Path, "c.ckpt")).Should()
            .BeTrue("cancelling writes the checkpoint, as the token does");
    }

    /// <summary>MLContext.CancelExecution as ML.NET's own components call it (the interface is internal in Microsoft.ML
    /// 5.0.1).</summary>
    static void CancelExecution(MLContext ml)
    {
        ml.GetType().GetMethod("CancelExecution",
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!.Invoke(ml, null);
    }

    [Fact]
    public void The_simple_catalog_overload_trains_with_the_declared_defaults_for_what_it_leaves_out()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.LowRank().Trainers.LowRankLm(depth: 2, modelDim: 32, headDim: 16, sequenceLength: 32,
            attentionRank: 8, maxSteps: 2, batchSize: 4);
        using var lm = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            MLNet.LowRank.Data.Tokenizers.LmTokenizer.Bytes()).Append(trainer)
            .Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts)).GetLanguageModel();
        lm.Model.Config.Depth.Should().Be(2);
        lm.Model.Config.AttentionIsFactored.Should().BeTrue();
        lm.Model.Config.MlpIsFactored.Should().BeFalse();
        lm.Model.Config.LogitSoftCap.Should().Be(new GptConfig().LogitSoftCap);
        lm.History.Should().HaveCount(2);
    }
}
