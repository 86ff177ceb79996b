using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Model;

public class OptionValidationTests
{
    static void ShouldFail(Action act, string option, string range) =>
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(option).And.Contain(range);

    [Fact] public void Rank_below_one() => ShouldFail(() => Gpt.Create(Tiny.Config(LinearVariant.Factored, 0),
        1), "AttentionRank", "between 1 and 32");

    [Fact] public void Rank_above_the_layer() => ShouldFail(() => Gpt.Create(Tiny.Config(LinearVariant.Factored, null,
        33), 1), "MlpRank", "between 1 and 32");

    [Fact] public void Head_rank_above_the_layer() => ShouldFail(() => Gpt.Create(Tiny.Config() with { HeadRank = 40 },
        1), "HeadRank", "between 1 and 32");

    [Fact] public void Fraction_above_one() => ShouldFail(() => ModelSummary.For(Tiny.Config(LinearVariant.Factored,
        Rank.Fraction(1.5))), "AttentionRank", "(0, 1]");

    [Fact] public void Schedule_parameter_below_one() =>
        ShouldFail(() => ModelSummary.For(Tiny.Config(LinearVariant.Factored,
        RankSchedule.Linear(0, 8))), "AttentionRank", "≥ 1");

    [Fact] public void Heads_not_dividing_the_width() =>
        ShouldFail(() => Gpt.Create(Tiny.Config() with { ModelDim = 40, HeadDim = 16 },
        1), "HeadDim", "must divide ModelDim = 40");

    [Fact] public void Depth_below_one() => ShouldFail(() => Gpt.Create(Tiny.Config() with { Depth = 0 },
        1), "Depth", "must be in 1 … 4,096");

    [Fact] public void Sequence_length_below_two() =>
        ShouldFail(() => Gpt.Create(Tiny.Config() with { SequenceLength = 1 }, 1), "SequenceLength", "at least 2");

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    public void Non_positive_learning_rate(double lr)
    {
        using var model = Gpt.Create(Tiny.Config(), 1);
        ShouldFail(() => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(2) with { MatrixLearningRate = lr }),
            "MatrixLearningRate", "positive");
    }

    [Fact]
    public void No_budget()
    {
        using var model = Gpt.Create(Tiny.Config(), 1);
        ShouldFail(() => TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            new TrainingOptions()), "MaxSteps", "budget");
    }

    [Fact]
    public void Corpus_shorter_than_a_sequence()
    {
        using var model = Gpt.Create(Tiny.Config(), 1);
        var tiny = new TokenStream([new[] { 1, 2, 3 }], 0);
        ShouldFail(() => TrainingLoop.Train(model, tiny, null, Tiny.BytesPerToken,
            Tiny.Options(2)), "fewer than one training sequence", "SequenceLength");
    }

    [Fact]
    public void Token_outside_the_vocabulary()
    {
        using var model = Gpt.Create(Tiny.Config(), 1);
        var bad = new TokenStream([Enumerable.Repeat(Tiny.Vocab + 5, 40).ToArray()], 0);
        ShouldFail(() => TrainingLoop.Train(model, bad, null, Tiny.BytesPerToken,
            Tiny.Options(2)), "token id 69", "vocabulary of 64");
    }
}
