using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Model;

public class RankScheduleTests
{
    // Depth 5: t = 0, 0.25, 0.5, 0.75, 1; the middle block is 2.
    static int[] Ranks(RankSchedule s, int maxRank = 256, int multiple = 1) =>
        Enumerable.Range(0, 5).Select(i => s.ResolveAt(i, 5, maxRank, multiple)).ToArray();

    [Fact] public void Constant_is_the_same_everywhere() => Ranks(16).Should().Equal(16, 16, 16, 16, 16);

    [Fact] public void Fraction_is_of_the_largest_rank() => Ranks(Rank.Fraction(0.25),
        maxRank: 64).Should().OnlyContain(r => r == 16);

    [Fact] public void Linear_goes_from_first_to_last() => Ranks(RankSchedule.Linear(8, 40)).Should().Equal(8, 16, 24,
        32, 40);

    [Fact] public void Step_switches_at_the_split() => Ranks(RankSchedule.Step(8, 64)).Should().Equal(8, 8, 64, 64, 64);

    [Fact] public void Step_honours_a_custom_split() => Ranks(RankSchedule.Step(8, 64, split: 0.8)).Should().Equal(8,
        8, 8, 8, 64);

    [Fact] public void Exponential_is_geometric() => Ranks(RankSchedule.Exponential(4, 64)).Should().Equal(4, 8, 16,
        32, 64);

    [Fact] public void Negative_quadratic_is_widest_in_the_middle() =>
        Ranks(RankSchedule.NegativeQuadratic(8, 64)).Should().Equal(8, 50, 64, 50, 8); // 64 − 56·0.25 = 50

    [Fact] public void Custom_function_is_honoured() =>
        Ranks(RankSchedule.Custom((i, depth) => 3 * i + depth)).Should().Equal(5, 8, 11, 14, 17);

    [Fact] public void Results_are_rounded_to_a_multiple_and_clamped() =>
        Ranks(RankSchedule.Linear(1, 300), maxRank: 128, multiple: 8).Should().Equal(8, 72, 128, 128,
        128); // 1 → 8 (not 0), 75.75 → 72

    [Fact]
    public void Schedules_reach_the_model()
    {
        var config = Tiny.Config(LinearVariant.Factored, RankSchedule.Linear(2, 14),
            RankSchedule.Exponential(2, 16)) with { Depth = 4 };
        Enumerable.Range(0, 4).Select(config.AttentionRankAt).Should().Equal(2, 6, 10, 14);
        Enumerable.Range(0, 4).Select(config.MlpRankAt).Should().Equal(2, 4, 8, 16);
    }
}
