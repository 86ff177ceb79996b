using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Reliability;

public class RandomOptionTests
{
    // Random, partly invalid combinations: each must train two steps or throw a managed exception with a message —
    // never crash the process (a native crash would end the whole test run).
    [Fact]
    public void Random_option_combinations_train_or_fail_with_a_message()
    {
        var random = new Random(2024);
        int trained = 0, refused = 0;
        for (int i = 0; i < 40; i++)
        {
            int dim = random.Next(new[] { 8, 16, 24, 32, 48 }.Length) switch { 0 => 8, 1 => 16, 2 => 24, 3 => 32, _ => 48 };
            var config = new GptConfig
            {
                VocabSize = Tiny.Vocab,
                Depth = random.Next(0, 4),
                ModelDim = dim,
                HeadDim = new[] { 4, 6, 8, 16, 7 }[random.Next(5)],
                SequenceLength = random.Next(1, 20),
                Variant = LinearVariant.BuiltIn[random.Next(4)],
                AttentionRank = random.Next(3) == 0 ? null : random.Next(-2, dim + 3),
                MlpRank = random.Next(4) switch { 0 => null, 1 => RankSchedule.Linear(random.Next(0, 8), random.Next(1, 80)), 2 => Rank.Fraction(random.NextDouble() * 1.3), _ => random.Next(-1, dim + 2) },
                HeadRank = random.Next(3) == 0 ? random.Next(0, dim + 2) : null,
                Init = random.Next(2) == 0 ? FactorInit.Matched : FactorInit.Spectral,
            };
            var options = Tiny.Options(2) with
            {
                BatchSize = random.Next(0, 4),
                Optimizer = random.Next(2) == 0 ? Optimizers.MuonAdamW : Optimizers.AdamW,
                MatrixLearningRate = random.Next(5) == 0 ? -1 : 0.02,
            };
            try
            {
                using var model = Gpt.Create(config, seed: i);
                var result = LmTrainer.Train(model, Tiny.Stream(documents: 5, length: 40), null, Tiny.BytesPerToken, options);
                result.History.Should().HaveCount(2);
                trained++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                e.Message.Should().NotBeNullOrWhiteSpace();
                refused++;
            }
        }
        trained.Should().BeGreaterThan(3);
        refused.Should().BeGreaterThan(3);
    }
}
