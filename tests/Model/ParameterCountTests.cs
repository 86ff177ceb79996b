using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Model;

public class ParameterCountTests
{
    public static TheoryData<string, string> VariantsAndSchedules()
    {
        var data = new TheoryData<string, string>();
        foreach (var v in LinearVariant.BuiltIn)
            foreach (var s in Schedules.Keys)
                data.Add(v.Name, s);
        return data;
    }

    static readonly Dictionary<string, RankSchedule> Schedules = new()
    {
        ["Constant"] = 8,
        ["Fraction"] = Rank.Fraction(0.25),
        ["Linear"] = RankSchedule.Linear(4, 16),
        ["Step"] = RankSchedule.Step(4, 12),
        ["Exponential"] = RankSchedule.Exponential(2, 32),
        ["NegativeQuadratic"] = RankSchedule.NegativeQuadratic(3, 20),
        ["Custom"] = RankSchedule.Custom((layer, depth) => 5 + 7 * layer),
    };

    [Theory]
    [MemberData(nameof(VariantsAndSchedules))]
    public void Closed_form_count_equals_the_module_count(string variant, string schedule)
    {
        var config = Tiny.Config(LinearVariant.Parse(variant), Schedules[schedule],
            Schedules[schedule]) with { Depth = 3, HeadRank = 6 };
        var summary = ModelSummary.For(config);
        using var model = Gpt.Create(config, seed: 1);

        long Count(IEnumerable<TorchSharp.Modules.Parameter> ps) => ps.Sum(p => p.numel());
        summary.TotalParameters.Should().Be(Count(model.parameters()));
        summary.EmbeddingParameters.Should().Be(model.EmbeddingWeight.numel());
        summary.HeadParameters.Should().Be(Count(model.Head.parameters()));
        for (int i = 0; i < config.Depth; i++)
        {
            var block = model.Blocks[i];
            summary.Blocks[i].AttentionParameters.Should()
                .Be(Count(block.Attention.parameters()), $"attention of block {i}");
            summary.Blocks[i].MlpParameters.Should().Be(Count(block.Mlp.parameters()), $"MLP of block {i}");
            summary.Blocks[i].AttentionRank.Should().Be(block.AttentionRankValue);
            block.Attention.Projections.Should().OnlyContain(p => p.Rank == (variant == "Dense" ? 32
                : block.AttentionRankValue));
        }
    }

    [Fact]
    public void Low_rank_layers_have_the_documented_counts()
    {
        // dim 32, hidden 128, rank 8: Factored attention 4·8·64, MLP 2·8·160; Diagonal adds min(in, out) = 32 per
        // layer.
        var factored = ModelSummary.For(Tiny.Config(LinearVariant.Factored, 8, 8));
        factored.Blocks[0].AttentionParameters.Should().Be(4 * 8 * 64);
        factored.Blocks[0].MlpParameters.Should().Be(2 * 8 * 160);
        var diagonal = ModelSummary.For(Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8));
        diagonal.Blocks[0].AttentionParameters.Should().Be(4 * (8 * 64 + 32));
        diagonal.Blocks[0].MlpParameters.Should().Be(2 * (8 * 160 + 32));
        var dense = ModelSummary.For(Tiny.Config(LinearVariant.Dense, 8, 8));
        dense.Blocks[0].AttentionParameters.Should().Be(4 * 32 * 32);
        dense.Blocks[0].MlpParameters.Should().Be(2 * 32 * 128);
        dense.HeadParameters.Should().Be(32 * Tiny.Vocab);
    }

    [Fact]
    public void Flops_per_token_match_a_hand_count()
    {
        // Dense, depth 2, dim 32, hidden 128, vocab 64, seq 16: N_mm = 2·(4·32·32 + 2·32·128) + 32·64 = 2·(4096 + 8192)
        // + 2048 = 26,624; 6·N_mm + 12·2·16·32 = 159,744 + 12,288.
        var summary = ModelSummary.For(Tiny.Config(LinearVariant.Dense));
        summary.MatmulParameters.Should().Be(26_624);
        summary.FlopsPerToken.Should().Be(172_032);
    }

    [Fact]
    public void A_rank_that_saves_nothing_is_flagged()
    {
        ModelSummary.For(Tiny.Config(LinearVariant.Factored, 16,
            8)).Warnings.Should().ContainSingle(w => w.StartsWith("AttentionRank"));
        ModelSummary.For(Tiny.Config(LinearVariant.Factored, 8, 8)).Warnings.Should().BeEmpty();

        // 256 → 1024: break-even r·(256 + 1024) = 256·1024 at r = 204.8, so 204 still saves parameters and 205 does not
        // (a break-even truncated to 204 flagged rank 204).
        var wide = new GptConfig { VocabSize = 64, ModelDim = 256, Depth = 1, Variant = LinearVariant.Factored };
        ModelSummary.For(wide with { MlpRank = 204 }).Warnings.Should().BeEmpty();
        ModelSummary.For(wide with { MlpRank = 205 }).Warnings.Should().ContainSingle().Which.Should()
            .StartWith("MlpRank 205").And.Contain("204.8");
        // Attention 256 → 256 breaks even at exactly 128.
        ModelSummary.For(wide with { AttentionRank = 127 }).Warnings.Should().BeEmpty();
        ModelSummary.For(wide with { AttentionRank = 128 }).Warnings.Should().ContainSingle(w =>
            w.StartsWith("AttentionRank 128"));
    }

    [Fact]
    public void Newton_schulz_flops_count_every_block_matrix_in_its_wide_orientation()
    {
        // Dense width 32, depth 2: per block four 32×32 (a = b = 32: 4·32³ + 2·32³ = 196,608) and two 32×128
        // (a = 32, b = 128: 4·32²·128 + 2·32³ = 589,824); × 2 blocks × 5 iterations.
        var dense = ModelSummary.For(Tiny.Config(LinearVariant.Dense));
        dense.NewtonSchulzFlopsPerStep().Should().Be(5.0 * 2 * (4 * 196_608 + 2 * 589_824));
        // Factored rank 8: U, V of each q, k, v, out are 32×8 (4·8²·32 + 2·8³ = 9,216); fc and proj have 128×8 and
        // 8×32 factors (4·8²·128 + 2·8³ = 33,792 and 9,216).
        var factored = ModelSummary.For(Tiny.Config(LinearVariant.Factored, 8, 8));
        factored.NewtonSchulzFlopsPerStep(iterations: 1).Should().Be(2.0 * (4 * 2 * 9_216 + 2 * (33_792 + 9_216)));
    }
}
