// RMS norm without learned parameters (model-spec §1): x · rsqrt(mean(x²) + eps). TorchSharp has no rms_norm.
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Model;

/// <summary>Parameter-free RMS normalisation over the last dimension.</summary>
public static class RmsNorm
{
    public static Tensor Apply(Tensor x, double eps)
    {
        using var n = new ScalarArgs();
        using var sq = x * x;   // not square(): TorchSharp makes it pow(2) with a Scalar nothing holds
        using var ms = sq.mean([-1L], keepdim: true);
        using var inv = ms.add_(n.Of(eps), n.Of(1L)).rsqrt_();
        return x * inv;
    }
}
