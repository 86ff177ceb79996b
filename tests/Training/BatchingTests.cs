// The training batches (model-spec §1 "data"): documents joined with BOS before each, cut into sequences of seqLen + 1
// tokens; inputs are a sequence's first seqLen tokens and targets the same shifted by one; every epoch visits each
// sequence exactly once, in an order fixed by (seed, epoch). Checked on a stream whose every token is known.
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Training;

public class BatchingTests
{
    const int Bos = 0;

    // 0 1 2 3 | 0 4 5 0 | 6 7 8 9 | 0 10 11 12: four sequences of 3 + 1 tokens.
    static TokenStream Stream() => new([[1, 2, 3], [4, 5], [6, 7, 8, 9], [10, 11, 12]], Bos);

    static readonly long[][] Sequences = [[0, 1, 2, 3], [0, 4, 5, 0], [6, 7, 8, 9], [0, 10, 11, 12]];

    static List<long[]> Epoch(SequenceBatcher batcher, int batches, out List<long[]> targets)
    {
        var inputs = new List<long[]>();
        targets = [];
        for (int b = 0; b < batches; b++)
        {
            batcher.Next();
            for (int row = 0; row < 2; row++)
            {
                inputs.Add(batcher.Inputs.AsSpan(row * 3, 3).ToArray());
                targets.Add(batcher.Targets.AsSpan(row * 3, 3).ToArray());
            }
        }
        return inputs;
    }

    [Fact]
    public void Bos_precedes_every_document_and_targets_are_the_inputs_shifted_by_one()
    {
        var stream = Stream();
        stream.Length.Should().Be(16, "each of the four documents gains a BOS");
        stream.SequenceCount(3).Should().Be(4);
        var batcher = new SequenceBatcher(stream, sequenceLength: 3, batchSize: 2, seed: 5);
        var inputs = Epoch(batcher, 2, out var targets);
        for (int i = 0; i < inputs.Count; i++)
        {
            var sequence = Sequences.Single(s => s.Take(3).SequenceEqual(inputs[i]));
            targets[i].Should().Equal(sequence.Skip(1), "the target of each position is the next token");
        }
    }

    [Fact]
    public void Each_epoch_visits_every_sequence_once_in_an_order_fixed_by_the_seed()
    {
        var orders = new Dictionary<int, List<string>>();
        foreach (int seed in new[] { 1, 2, 3, 4, 5, 6 })
        {
            var batcher = new SequenceBatcher(Stream(), 3, 2, seed);
            var first = Epoch(batcher, 2, out _).Select(r => string.Join(",", r)).ToList();
            first.Should().BeEquivalentTo(Sequences.Select(s => string.Join(",",
                s.Take(3))), $"seed {seed}: one epoch is every sequence once");
            var second = Epoch(batcher, 2, out _).Select(r => string.Join(",", r)).ToList();
            second.Should().BeEquivalentTo(first, "the next epoch too");
            batcher.Epoch.Should().Be(1);
            var again = Epoch(new SequenceBatcher(Stream(), 3, 2, seed), 2,
                out _).Select(r => string.Join(",", r)).ToList();
            again.Should().Equal(first, "the same seed gives the same order");
            orders[seed] = first;
        }
        orders.Values.Select(o => string.Join("|",
            o)).Distinct().Count().Should().BeGreaterThan(1, "the seed decides the order");
    }

    [Fact]
    public void A_restored_position_continues_the_same_order()
    {
        var straight = new SequenceBatcher(Stream(), 3, 1, seed: 9);
        var expected = Enumerable.Range(0, 7).Select(_ => { straight.Next(); return string.Join(",",
            straight.Inputs); }).ToList();
        var first = new SequenceBatcher(Stream(), 3, 1, seed: 9);
        for (int i = 0; i < 5; i++) first.Next();
        var resumed = new SequenceBatcher(Stream(), 3, 1, seed: 9);
        resumed.Restore(first.Epoch, first.Cursor);
        var rest = Enumerable.Range(0, 2).Select(_ => { resumed.Next(); return string.Join(",",
            resumed.Inputs); }).ToList();
        rest.Should().Equal(expected.Skip(5));
    }
}
