// Deterministic batches of training sequences: every epoch visits each sequence once, in an order drawn from the seed.
namespace MLNet.LowRank.Training;

/// <summary>Yields (inputs, targets) batches of shape (batch, seqLen) from a <see cref="TokenStream"/>.</summary>
public sealed class SequenceBatcher
{
    readonly TokenStream stream;
    readonly int sequenceLength, batchSize, sequences;
    readonly Random random;
    int[] order = [];
    int cursor;

    public SequenceBatcher(TokenStream stream, int sequenceLength, int batchSize, int seed)
    {
        sequences = stream.SequenceCount(sequenceLength);
        if (sequences < 1)
            throw new ArgumentException(
                $"The training corpus has {stream.Tokens.Length} tokens, fewer than one training sequence of {sequenceLength + 1}. Add text or lower SequenceLength.", nameof(stream));
        this.stream = stream;
        this.sequenceLength = sequenceLength;
        this.batchSize = batchSize;
        random = new Random(seed);
        Inputs = new long[batchSize * sequenceLength];
        Targets = new long[batchSize * sequenceLength];
    }

    /// <summary>Inputs of the current batch, row-major (batch, seqLen); reused between batches.</summary>
    public long[] Inputs { get; }

    /// <summary>Targets of the current batch, row-major (batch, seqLen); reused between batches.</summary>
    public long[] Targets { get; }

    /// <summary>Completed passes over the training sequences.</summary>
    public int Epoch { get; private set; } = -1;

    /// <summary>Fills <see cref="Inputs"/> and <see cref="Targets"/> with the next batch.</summary>
    public void Next()
    {
        for (int row = 0; row < batchSize; row++)
        {
            if (cursor >= order.Length) NewEpoch();
            stream.CopySequence(order[cursor++], sequenceLength, Inputs, Targets, row * sequenceLength);
        }
    }

    void NewEpoch()
    {
        order = Enumerable.Range(0, sequences).ToArray();
        random.Shuffle(order);
        cursor = 0;
        Epoch++;
    }
}
