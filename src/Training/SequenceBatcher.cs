// Deterministic batches of training sequences: every epoch visits each sequence once, in an order drawn from (seed,
// epoch) alone — so the stream's position is just (epoch, cursor), which a checkpoint stores and restores exactly.
namespace MLNet.LowRank.Training;

/// <summary>Yields (inputs, targets) batches of shape (batch, seqLen) from a <see cref="TokenStream"/>.</summary>
public sealed class SequenceBatcher
{
    readonly TokenStream stream;
    readonly int sequenceLength, batchSize, sequences, seed;
    int[] order = [];
    int cursor;

    public SequenceBatcher(TokenStream stream, int sequenceLength, int batchSize, int seed)
    {
        sequences = stream.SequenceCount(sequenceLength);
        if (sequences < 1)
            throw new ArgumentException(
                $"The training corpus has {stream.Length} tokens, fewer than one training sequence " +
                $"of {sequenceLength + 1}. Add text or lower SequenceLength.", nameof(stream));
        this.stream = stream;
        this.sequenceLength = sequenceLength;
        this.batchSize = batchSize;
        this.seed = seed;
        Inputs = new long[batchSize * sequenceLength];
        Targets = new long[batchSize * sequenceLength];
    }

    /// <summary>Inputs of the current batch, row-major (batch, seqLen); reused between batches.</summary>
    public long[] Inputs { get; }

    /// <summary>Targets of the current batch, row-major (batch, seqLen); reused between batches.</summary>
    public long[] Targets { get; }

    /// <summary>The current pass over the training sequences (−1 before the first batch).</summary>
    public int Epoch { get; private set; } = -1;

    /// <summary>Sequences of the current epoch already used.</summary>
    public int Cursor => cursor;

    /// <summary>Puts the stream at (<paramref name="epoch"/>, <paramref name="position"/>), as <see cref="Epoch"/> and
    /// <see cref="Cursor"/> were when a checkpoint was written.</summary>
    public void Restore(int epoch, int position)
    {
        if (epoch < 0) { Epoch = -1; order = []; cursor = 0; return; }
        Epoch = epoch;
        order = OrderOf(epoch);
        cursor = Math.Clamp(position, 0, order.Length);
    }

    /// <summary>Fills <see cref="Inputs"/> and <see cref="Targets"/> with the next batch.</summary>
    public void Next()
    {
        var rows = new int[batchSize];
        for (int row = 0; row < batchSize; row++)
        {
            if (cursor >= order.Length) NewEpoch();
            rows[row] = order[cursor++];
        }
        // Sequences on disk are read concurrently: a batch of random sequences is a batch of random reads, and a disk
        // serves many outstanding reads far faster than the same reads one after another.
        if (stream.IsMapped)
            Parallel.For(0,
                batchSize,
                row => stream.CopySequence(rows[row], sequenceLength, Inputs, Targets, row * sequenceLength));
        else
            for (int row = 0; row < batchSize; row++) stream.CopySequence(rows[row], sequenceLength, Inputs, Targets,
                row * sequenceLength);
    }

    void NewEpoch()
    {
        Epoch++;
        order = OrderOf(Epoch);
        cursor = 0;
    }

    int[] OrderOf(int epoch)
    {
        var order = Enumerable.Range(0, sequences).ToArray();
        // A fixed mix of (seed, epoch): HashCode.Combine would differ from process to process.
        new Random(unchecked(seed * 1_000_003 + epoch * 7_919)).Shuffle(order);
        return order;
    }
}
