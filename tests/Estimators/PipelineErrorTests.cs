using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Estimators;

public class PipelineErrorTests
{
    readonly MLContext ml = new(seed: 1);

    [Fact]
    public void Empty_corpus()
    {
        var docs = ml.LowRank().Data.LoadFromTexts([]);
        FluentActions.Invoking(() =>
            LmPipeline.Build(ml).Fit(docs)).Should().Throw<ArgumentException>().WithMessage("*no tokens*Provide text*");
    }

    [Theory]
    [InlineData("bpe")]
    [InlineData("bytes")]   // whitespace encodes to byte tokens: this one used to train
    public void Whitespace_only_corpus(string tokenizer)
    {
        var docs = ml.LowRank().Data.LoadFromTexts(["  ", "\n\n", "\t", new string(' ', 500)]);
        FluentActions.Invoking(() => LmPipeline.Build(ml,
            tokenizer == "bpe" ? LmTokenizer.Bpe(300) : LmTokenizer.Bytes()).Fit(docs))
            .Should().Throw<ArgumentException>().WithMessage("*'Text'*empty or holds only whitespace*Provide text*");
    }

    [Fact]
    public void Corpus_shorter_than_one_sequence()
    {
        var docs = ml.LowRank().Data.LoadFromTexts(["tiny"]);
        FluentActions.Invoking(() =>
            LmPipeline.Build(ml).Fit(docs)).Should().Throw<ArgumentException>()
            .WithMessage("*fewer than one training sequence*");
    }

    [Fact]
    public void Missing_column_is_named_at_fit_and_in_the_schema()
    {
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var pipeline = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Body",
            LmTokenizer.Bytes()).Append(ml.LowRank().Trainers.LowRankLm(LmPipeline.Options()));
        FluentActions.Invoking(() =>
            pipeline.Fit(docs)).Should().Throw<ArgumentException>().WithMessage("*no column 'Body'*'Text'*");
        FluentActions.Invoking(() =>
            pipeline.GetOutputSchema(MLNet.LowRank.Transformers.SchemaChecks.ShapeOf(docs.Schema))).Should()
            .Throw<ArgumentException>().WithMessage("*no column 'Body'*");
    }

    [Fact]
    public void Wrong_column_type_is_named()
    {
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var trainerOnText =
            ml.LowRank().Trainers
            .LowRankLm(new MLNet.LowRank.Estimators.LowRankLmTrainer.Options { TokensColumnName = "Text",
            Training = new() { MaxSteps = 1 } });
        FluentActions.Invoking(() =>
            trainerOnText.Fit(docs)).Should().Throw<ArgumentException>()
            .WithMessage("*column 'Text'*must be a vector of Int32*");
        var numbers =
            ml.Data.LoadFromEnumerable(new[] { new { Text = 1f } }.Select(x => new NumberRow { Text = x.Text }));
        FluentActions.Invoking(() => ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Bytes()).Fit(numbers))
            .Should().Throw<ArgumentException>().WithMessage("*column 'Text' has type Single*must be text*");
    }

    [Fact]
    public void Invalid_trainer_options_fail_before_reading_data()
    {
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var options = LmPipeline.Options();
        options.Model = options.Model with { HeadDim = 12 };
        FluentActions.Invoking(() => LmPipeline.Build(ml,
            options: options).Fit(docs)).Should().Throw<ArgumentException>()
            .WithMessage("*HeadDim*must divide ModelDim = 32*");
    }

    [Fact]
    public void Cancellation_stops_training_within_one_step()
    {
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var options = LmPipeline.Options(steps: 10_000);
        options.CancellationToken = cts.Token;
        options.Training = options.Training with { ReportEvery = 3 };
        options.Progress = new SyncProgress(_ => { if (++reports == 2) cts.Cancel(); });
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        FluentActions.Invoking(() => LmPipeline.Build(ml,
            options: options).Fit(docs)).Should().Throw<OperationCanceledException>();
        reports.Should().Be(2);
    }

    [Fact]
    public void Training_messages_reach_the_mlcontext_log()
    {
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        LmPipeline.Build(ml,
            options: LmPipeline.Options(steps: 2)).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts))
            .GetLanguageModel().Dispose();
        messages.Should().Contain(m => m.Contains("parameters: total")).And.Contain(m => m.Contains("step 2"));
    }

    sealed class NumberRow { public float Text { get; set; } }

    sealed class SyncProgress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
