// How weights start (model-spec §1 "init" and §2 "Init").
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Model;

/// <summary>How the factors of a low-rank layer are initialised.</summary>
public enum FactorInit
{
    /// <summary>Each factor N(0, s²) with s = (σ²/r)^¼, so U·V has the dense layer's variance σ².</summary>
    Matched,
    /// <summary>Draw the dense init W, take its SVD: U = U_r·√S_r, V = √S_r·V_rᵀ (the best rank-r approximation of
    /// W).</summary>
    Spectral,
}

/// <summary>The initial values the spec prescribes, drawn from the given generator — a model's own, so that building
/// models on several threads at once stays reproducible (torch's global generator is shared by every thread).</summary>
public static class Initialization
{
    /// <summary>σ = (1/√fan_in) · min(1, √(fan_out/fan_in)) of a dense layer in → out.</summary>
    public static double DenseStd(int inFeatures, int outFeatures) =>
        1.0 / Math.Sqrt(inFeatures) * Math.Min(1.0, Math.Sqrt((double)outFeatures / inFeatures));

    /// <summary>A dense weight (out × in) drawn from N(0, σ²).</summary>
    public static Tensor DenseWeight(int inFeatures, int outFeatures, Generator? generator = null)
    {
        using var draw = torch.randn(outFeatures, inFeatures, generator: generator);
        using var n = new ScalarArgs();
        return draw.mul(n.Of(DenseStd(inFeatures, outFeatures)));
    }

    /// <summary>Factors (U: out × r, V: r × in) whose product starts like the dense layer; U is zero when
    /// <paramref name="zeroOutput"/> (never both: U = V = 0 is a fixed point with zero gradient).</summary>
    public static (Tensor U, Tensor V) Factors(int inFeatures, int outFeatures, int rank, FactorInit init,
        bool zeroOutput, Generator? generator = null)
    {
        Tensor u, v;
        if (init == FactorInit.Spectral)
        {
            using var scope = torch.NewDisposeScope();
            var w = DenseWeight(inFeatures, outFeatures, generator);
            var (uu, s, vh) = torch.linalg.svd(w, fullMatrices: false);
            var root = s[..rank].sqrt();
            u = (uu[.., ..rank] * root.unsqueeze(0)).contiguous().MoveToOuterDisposeScope();
            v = (root.unsqueeze(1) * vh[..rank, ..]).contiguous().MoveToOuterDisposeScope();
        }
        else
        {
            double sigma = DenseStd(inFeatures, outFeatures);
            double s = Math.Pow(sigma * sigma / rank, 0.25);
            using var du = torch.randn(outFeatures, rank, generator: generator);
            using var dv = torch.randn(rank, inFeatures, generator: generator);
            using var n = new ScalarArgs();
            u = du.mul(n.Of(s));
            v = dv.mul(n.Of(s));
        }
        if (zeroOutput)
        {
            u.Dispose();
            u = torch.zeros(outFeatures, rank);
        }
        return (u, v);
    }
}
