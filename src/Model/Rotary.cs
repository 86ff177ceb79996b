// Rotary position embeddings, half-split form (model-spec §1), with cos/sin tables computed once per model.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Model;

/// <summary>Precomputed rotary tables for sequences up to <c>maxLength</c>; applied to (B, T, H, D) tensors.</summary>
public sealed class Rotary : IDisposable
{
    readonly Tensor cos; // (1, T, 1, D/2)
    readonly Tensor sin;
    readonly int maxLength, half;

    public Rotary(int headDim, int maxLength, double ropeBase, Device device)
    {
        this.maxLength = maxLength;
        half = headDim / 2;
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        var channels = torch.arange(n.Of(0L), n.Of((long)headDim), n.Of(2L), dtype: ScalarType.Float32);
        var invFreq = torch.pow(ropeBase,
            -channels.div(n.Of((long)headDim))); // ropeBase becomes a 0-d tensor of this scope
        var t = torch.arange(n.Of(0L), n.Of((long)maxLength), n.Of(1L), dtype: ScalarType.Float32);
        var freqs = torch.outer(t, invFreq);
        cos = freqs.cos().view(1, maxLength, 1, headDim / 2).to(device).MoveToOuterDisposeScope();
        sin = freqs.sin().view(1, maxLength, 1, headDim / 2).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>y1 = x1·cos + x2·sin, y2 = −x1·sin + x2·cos over the two halves of the last dimension.</summary>
    public Tensor Apply(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long t = x.shape[1];
        return Rotate(x, cos.narrow(1, 0, t), sin.narrow(1, 0, t)).MoveToOuterDisposeScope();
    }

    /// <summary>As <see cref="Apply(Tensor)"/>, with token (b, t) at position <c>positions[b, t]</c> (B, T) int64
    /// instead of t: what a cached pass needs, whose tokens start where the row's cache ends.</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var flat = positions.reshape(-1);
        var c = cos.view(maxLength, half).index_select(0, flat).view(b, t, 1, half);
        var s = sin.view(maxLength, half).index_select(0, flat).view(b, t, 1, half);
        return Rotate(x, c, s).MoveToOuterDisposeScope();
    }

    static Tensor Rotate(Tensor x, Tensor c, Tensor s)
    {
        long half = x.shape[3] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var y1 = x1 * c + x2 * s;
        var y2 = x2 * c - x1 * s;
        return torch.cat([y1, y2], -1);
    }

    public void Dispose()
    {
        cos.Dispose();
        sin.Dispose();
    }
}
