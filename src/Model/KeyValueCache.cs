// Keys and values of every attention layer for a batch of sequences being generated, so each new token attends to the
// cached past instead of recomputing it (model-spec §1's attention, split into a prefill and a one-token decode pass).
// Each row owns columns 0 … its length − 1 of the cache; rows advance independently (different prompt lengths, rows
// restarted from a shorter window), which keeps every row's result independent of the others in its batch.
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Per-layer key and value tensors (batch, heads, context, head dim) of a <see cref="Gpt"/>.</summary>
public sealed class KeyValueCache : IDisposable
{
    readonly Tensor[] keys, values;

    /// <summary>A cache for <paramref name="batch"/> sequences of up to the model's context length.</summary>
    public KeyValueCache(Gpt model, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var c = model.Config;
        Batch = batch;
        Capacity = c.SequenceLength;
        keys = new Tensor[c.Depth];
        values = new Tensor[c.Depth];
        for (int i = 0; i < c.Depth; i++)
        {
            keys[i] = torch.zeros([batch, c.Heads, Capacity, c.HeadDim], device: model.Device);
            values[i] = torch.zeros([batch, c.Heads, Capacity, c.HeadDim], device: model.Device);
        }
    }

    /// <summary>Rows (sequences) held.</summary>
    public int Batch { get; }

    /// <summary>Tokens a row can hold: the model's context length.</summary>
    public int Capacity { get; }

    internal Tensor Keys(int layer) => keys[layer];
    internal Tensor Values(int layer) => values[layer];

    /// <summary>Bytes the cache occupies.</summary>
    public long Bytes => keys.Concat(values).Sum(t => t.numel() * t.ElementSize);

    public void Dispose()
    {
        foreach (var t in keys.Concat(values)) t.Dispose();
    }
}

/// <summary>What one cached forward pass does. A prefill writes rows' tokens at columns 0 … T − 1 (right-padded,
/// so the causal mask alone keeps padding out of every real token's attention); a decode writes one token per row at
/// that row's own column and attends to the columns the mask allows.</summary>
internal sealed class CachedPass
{
    /// <summary>Position (= cache column) of every input token, (B, T) int64.</summary>
    public required Tensor Positions { get; init; }

    /// <summary>Prefill: the cache row of each input row. Null for a decode, whose input rows are the cache
    /// rows.</summary>
    public long[]? Rows { get; init; }

    /// <summary>Decode: which columns each row may attend to, (B, 1, 1, Width) bool.</summary>
    public Tensor? Mask { get; init; }

    /// <summary>Decode: columns read (one past the largest position).</summary>
    public long Width { get; init; }
}
