// A user's mistake on the command line is one line on stderr and exit code 2, before any training: no .NET stack
// trace, no minute of work first. One CLI process per case (each is a start of .NET with libtorch).
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Cli;

public class CliInputTests
{
    static readonly string[] Tiny =
        ["--set", "Depth=2", "ModelDim=32", "HeadDim=16", "SequenceLength=32", "BatchSize=4"];

    static void RefusedInOneLine((int Code, string Output) run, string expected)
    {
        run.Code.Should().Be(2, run.Output);
        run.Output.Should().Contain(expected).And.NotContain("   at ", "no stack trace for a user's mistake");
    }

    [Theory]
    [InlineData("random:many", "'many' is not a trial count")]
    [InlineData("random:3:-1", "is not a seed")]
    [InlineData("simulated-annealing", "Unknown tuner")]
    public void A_malformed_tuner_is_refused(string tuner, string expected)
    {
        using var dir = new TempDirectory("cli-tuner-");
        RefusedInOneLine(SweepFixture.Run(dir.Path, "sweep", "--tuner", tuner, "--run-dir",
            Path.Combine(dir.Path, "run"), "--list"), expected);
    }

    [Theory]
    [InlineData("BatchSize=2000000000", "BatchSize must be in 1")]
    [InlineData("SequenceLength=100000000", "SequenceLength")]
    [InlineData("BatchSize=1000000", "tokens per micro-batch")]
    public void An_absurd_size_is_refused_before_any_work(string assignment, string expected)
    {
        using var dir = new TempDirectory("cli-size-");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RefusedInOneLine(SweepFixture.Run(dir.Path, ["train", "--steps", "1", .. Tiny, assignment]), expected);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "refused before reading the corpus or allocating");
    }

    [Theory]
    [InlineData("--save", "no-such-folder/m.zip", "--save", "does not exist")]
    [InlineData("--history-csv", "no-such-folder/h.csv", "--history-csv", "does not exist")]
    [InlineData("--save", ".", "--save", "is a folder")]
    public void An_output_that_cannot_be_written_is_refused_before_training(string flag, string path, string names,
        string says)
    {
        using var dir = new TempDirectory("cli-out-");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // 10,000 steps would take minutes: the refusal must come before the first.
        var run = SweepFixture.Run(dir.Path, ["train", "--steps", "10000", .. Tiny, flag, path]);
        RefusedInOneLine(run, names);
        run.Output.Should().Contain(says).And.NotContain("step 1");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("--steps", "99999999999", "whole number from")]
    [InlineData("--seconds", "soon", "a number")]
    public void A_flag_value_that_does_not_parse_is_named_in_words_not_NET_types(string flag, string value,
        string expected)
    {
        using var dir = new TempDirectory("cli-parse-");
        var run = SweepFixture.Run(dir.Path, "train", flag, value);
        RefusedInOneLine(run, expected);
        run.Output.Should().Contain(flag).And.NotContain("System.").And.NotContain("Nullable");
    }

    [Fact]
    public void One_text_file_trains_holding_out_its_end_and_validation_can_be_separate_or_none()
    {
        using var dir = new TempDirectory("cli-one-");
        string words = string.Join("\n",
            Enumerable.Range(0, 400).Select(i => $"line {i}: the quick brown fox jumps over the lazy dog {i % 7}"));
        File.WriteAllText(Path.Combine(dir.Path, "input.txt"), words);
        File.WriteAllText(Path.Combine(dir.Path, "other.txt"), words.Replace("fox", "cat"));
        string[] train = ["train", "--steps", "2", .. Tiny];

        var one = SweepFixture.Run(dir.Path, [.. train, "--corpus", "input.txt"]);
        one.Code.Should().Be(0, one.Output);
        one.Output.Should().Contain("holding out the last 10 % of each document by position").And
            .MatchRegex(@"validation: perplexity [\d.]+");
        var separate = SweepFixture.Run(dir.Path,
            [.. train, "--corpus", "input.txt", "--validation-corpus", "other.txt"]);
        separate.Code.Should().Be(0, separate.Output);
        separate.Output.Should().NotContain("by position").And.MatchRegex(@"validation: perplexity [\d.]+");
        var none = SweepFixture.Run(dir.Path, [.. train, "--corpus", "input.txt", "--validation-fraction", "0"]);
        none.Code.Should().Be(0, none.Output);
        none.Output.Should().Contain("validation: none").And.Contain("val_ppl=none");
        Directory.CreateDirectory(Path.Combine(dir.Path, "two"));
        File.Copy(Path.Combine(dir.Path, "input.txt"), Path.Combine(dir.Path, "two", "a.txt"));
        File.Copy(Path.Combine(dir.Path, "other.txt"), Path.Combine(dir.Path, "two", "b.txt"));
        var two = SweepFixture.Run(dir.Path, [.. train, "--corpus", "two"]);
        two.Code.Should().Be(0, two.Output);
        two.Output.Should().MatchRegex(@"validation: perplexity [\d.]+");
    }

    [Fact]
    public void A_model_that_cannot_fit_in_memory_is_refused_naming_its_need_and_the_machines_memory()
    {
        using var dir = new TempDirectory("cli-memory-");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // 35 billion parameters: once a native allocator's stack trace.
        var run =
            SweepFixture
            .Run(dir.Path, "train", "--steps", "1", "--set", "ModelDim=16384", "HeadDim=128", "MlpRatio=64", "SequenceLength=64", "BatchSize=2");
        RefusedInOneLine(run, "This run needs at least");
        run.Output.Should().Contain("TiB of memory").And.Contain("this machine has");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
        var need = MLNet.LowRank.Training.MemoryNeed.Bytes(new MLNet.LowRank.Model.GptConfig { VocabSize = 257,
            ModelDim = 64, HeadDim = 32, Depth = 8, SequenceLength = 256 },
            new MLNet.LowRank.Training.TrainingOptions { BatchSize = 16, MaxSteps = 1 });
        need.Should().BeInRange(50L << 20,
            1L << 30, "the study's deep arm needs a few hundred megabytes, and is never refused");
    }

    [Fact]
    public void A_progress_interval_below_one_is_refused_by_its_flag_name()
    {
        using var dir = new TempDirectory("cli-report-");
        RefusedInOneLine(SweepFixture.Run(dir.Path,
            ["train", "--steps", "1", "--report-every", "0", .. Tiny]), "--report-every must be at least 1");
    }

    [Fact]
    public void A_checkpoint_is_not_overwritten_and_a_missing_one_is_not_resumed_silently()
    {
        using var dir = new TempDirectory("cli-ckpt-");
        string checkpoint = Path.Combine(dir.Path, "run.ckpt");
        RefusedInOneLine(SweepFixture.Run(dir.Path,
            ["train", "--steps", "1", .. Tiny, "--checkpoint", checkpoint, "--resume"]), "no checkpoint at");
        File.WriteAllText(checkpoint, "somebody's progress");
        RefusedInOneLine(SweepFixture.Run(dir.Path,
            ["train", "--steps", "1", .. Tiny, "--checkpoint", checkpoint]), "already exists");
        File.ReadAllText(checkpoint).Should().Be("somebody's progress");
    }

    [Fact]
    public void A_token_budget_is_the_budget_and_an_impossible_one_is_refused()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path, history = Path.Combine(dir, "history.csv");
        // 32 × 4 = 128 tokens a step: 1,280 tokens are 10 steps, with no 60-second default on top.
        var (code,
            output) = SweepFixture.Run(dir,
            ["train", "--corpus", Path.Combine(dir, "corpus.jsonl"), "--tokens", "1280",
            .. Tiny, "--eval-every", "0", "--history-csv", history]);
        code.Should().Be(0, output);
        File.ReadAllLines(history).Skip(1).Should().HaveCount(10);
        RefusedInOneLine(SweepFixture.Run(dir,
            ["train", "--corpus", Path.Combine(dir, "corpus.jsonl"), "--tokens", "0", .. Tiny]), "MaxTokens");
    }
}

public class TokenizerChoiceTests
{
    [Fact]
    public void Train_tokenize_and_sweep_take_the_same_tokenizer_choices_and_default()
    {
        var root = MLNet.LowRank.Cli.CliRoot.Create();
        root.Parse(["train"]).GetValue<string>("--tokenizer").Should()
            .Be(MLNet.LowRank.Data.Tokenizers.LmTokenizer.DefaultName);
        root.Parse(["tokenize", "--input", "x.txt", "--out", "shards"]).GetValue<string>("--tokenizer").Should()
            .Be(MLNet.LowRank.Data.Tokenizers.LmTokenizer.DefaultName);
        new MLNet.LowRank.Experiments.ExperimentSpec().Tokenizer.Should()
            .Be(MLNet.LowRank.Data.Tokenizers.LmTokenizer.DefaultName);
        MLNet.LowRank.Data.Tokenizers.LmTokenizer.DefaultName.Should().Be("bytes");

        using var dir = new TempDirectory("tiktoken-choice-");
        string ranks = Path.Combine(dir.Path, "ranks.tiktoken");
        var trained = MLNet.LowRank.Data.Tokenizers.BpeTrainer.Train(MLNet.LowRank.Tests.Estimators.LmPipeline.Texts,
            300);
        trained.SaveTiktoken(ranks);
        foreach (var choice in new[] { "bytes", "gpt2", "cl100k", "o200k", "bpe:300", $"tiktoken:{ranks}" })
            MLNet.LowRank.Data.Tokenizers.LmTokenizer.Parse(choice).Should().NotBeNull(choice);
        MLNet.LowRank.Data.Tokenizers.LmTokenizer.Parse($"tiktoken:{ranks}").Create([]).VocabSize.Should()
            .Be(trained.VocabSize, "the ranks file's vocabulary");
        FluentActions.Invoking(() =>
            MLNet.LowRank.Data.Tokenizers.LmTokenizer.Parse("sentencepiece")).Should().Throw<ArgumentException>()
            .WithMessage("*tiktoken:<file>*");
    }
}
