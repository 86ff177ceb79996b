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
            int dim = random.Next(new[] { 8, 16, 24, 32, 48 }.Length) switch { 0 => 8, 1 => 16, 2 => 24, 3 => 32,
                _ => 48 };
            int? attention = random.Next(3) == 0 ? null : random.Next(-2, dim + 3);
            int? head = random.Next(3) == 0 ? random.Next(0, dim + 2) : null;
            // The MLP rank as a schedule, with its validity by the spec's rules: Linear ends ≥ 1 (larger ones are
            // clamped), a fraction in (0, 1], an absolute rank in [1, dim].
            var (mlp, mlpValid) = random.Next(4) switch
            {
                0 => ((RankSchedule?)null, true),
                1 => random.Next(0, 8) is var first && random.Next(1, 80) is var last ? (RankSchedule.Linear(first,
                    last), first >= 1) : default,
                2 => random.NextDouble() * 1.3 is var f ? (Rank.Fraction(f), f > 0 && f <= 1) : default,
                _ => random.Next(-1, dim + 2) is var r ? (r, r >= 1 && r <= dim) : default,
            };
            var config = new GptConfig
            {
                VocabSize = Tiny.Vocab,
                Depth = random.Next(0, 4),
                ModelDim = dim,
                HeadDim = new[] { 4, 6, 8, 16, 7 }[random.Next(5)],
                SequenceLength = random.Next(1, 20),
                Variant = LinearVariant.BuiltIn[random.Next(4)],
                AttentionRank = attention,
                MlpRank = mlp,
                HeadRank = head,
                Init = random.Next(2) == 0 ? FactorInit.Matched : FactorInit.Spectral,
            };
            var options = Tiny.Options(2) with
            {
                BatchSize = random.Next(0, 4),
                Optimizer = random.Next(2) == 0 ? Optimizers.MuonAdamW : Optimizers.AdamW,
                MatrixLearningRate = random.Next(5) == 0 ? -1 : 0.02,
            };
            // The rules, restated here: which options of this combination are invalid.
            var invalid = Violations(config, options, attention, mlpValid, head);
            try
            {
                using var model = Gpt.Create(config, seed: i);
                var result = TrainingLoop.Train(model, Tiny.Stream(documents: 5, length: 40), null, Tiny.BytesPerToken,
                    options);
                invalid.Should().BeEmpty($"combination {i} trained, so it must have been valid");
                result.History.Should().HaveCount(2);
                trained++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                invalid.Should().NotBeEmpty($"combination {i} is valid but was refused: {e.Message}");
                invalid.Should().Contain(name =>
                    e.Message
                    .Contains(name), $"the message must name an invalid option of " +
                    $"combination {i} ({string.Join(", ", invalid)}): {e.Message}");
                refused++;
            }
        }
        trained.Should().BeGreaterThan(3);
        refused.Should().BeGreaterThan(3);
    }

    static List<string> Violations(GptConfig c, TrainingOptions o, int? attention, bool mlpValid, int? head)
    {
        var bad = new List<string>();
        if (c.Depth < 1) bad.Add("Depth");
        if (c.HeadDim < 2 || c.HeadDim % 2 != 0 || c.ModelDim % c.HeadDim != 0) bad.Add("HeadDim");
        if (c.SequenceLength < 2) bad.Add("SequenceLength");
        if (attention is int a && (a < 1 || a > c.ModelDim)) bad.Add("AttentionRank");
        if (!mlpValid) bad.Add("MlpRank");
        if (head is int h && (h < 1 || h > Math.Min(c.ModelDim, c.VocabSize))) bad.Add("HeadRank");
        if (o.BatchSize < 1) bad.Add("BatchSize");
        if (o.MatrixLearningRate <= 0) bad.Add("MatrixLearningRate");
        return bad;
    }
}
