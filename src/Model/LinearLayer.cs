// The module every linear layer of the GPT is: dense or factored, with what training and summaries need to know.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>A linear layer in → out, dense or low-rank.</summary>
public abstract class LinearLayer : nn.Module<Tensor, Tensor>
{
    protected LinearLayer(string name, int inFeatures, int outFeatures, int rank) : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Rank = rank;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>The rank of the product (min(in, out) for a dense layer).</summary>
    public int Rank { get; }

    /// <summary>‖W‖²_F of the layer's effective weight, for Frobenius decay; null where it does not apply
    /// (dense).</summary>
    public virtual Tensor? ProductFrobeniusSquared() => null;
}

/// <summary><c>y = W x</c>, W: out × in.</summary>
public sealed class DenseLinear : LinearLayer
{
    readonly Parameter weight;

    public DenseLinear(int inFeatures, int outFeatures, bool zeroInit, Generator? generator = null,
        bool initialize = true) : base("DenseLinear", inFeatures, outFeatures, Math.Min(inFeatures, outFeatures))
    {
        weight = nn.Parameter(!initialize ? torch.empty(outFeatures, inFeatures)
            : zeroInit ? torch.zeros(outFeatures, inFeatures) : Initialization.DenseWeight(inFeatures, outFeatures,
            generator));
        RegisterComponents();
    }

    /// <summary>The weight W (out × in).</summary>
    public Parameter Weight => weight;

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight);
}

/// <summary><c>y = U (V x)</c>, V: r × in, U: out × r.</summary>
public class FactoredLinear : LinearLayer
{
    // Protected, not private: Module.to(device) re-points parameter fields by reflection, which sees a base class's
    // protected fields but not its private ones (ColaLinear and FactoredDiagonalLinear derive from this class).
    protected Parameter U;
    protected Parameter V;

    public FactoredLinear(LinearLayerSpec spec) : this("FactoredLinear", spec) { }

    protected FactoredLinear(string name, LinearLayerSpec spec) : base(name, spec.InFeatures, spec.OutFeatures,
        spec.Rank)
    {
        var (u, v) = spec.Initialize
            ? Initialization.Factors(spec.InFeatures, spec.OutFeatures, spec.Rank, spec.Init, spec.ZeroOutput,
            spec.Generator)
            : (torch.empty(spec.OutFeatures, spec.Rank), torch.empty(spec.Rank, spec.InFeatures));
        U = nn.Parameter(u);
        V = nn.Parameter(v);
        RegisterComponents();
    }

    /// <summary>The output factor (out × r).</summary>
    public Parameter OutputFactor => U;

    /// <summary>The input factor (r × in).</summary>
    public Parameter InputFactor => V;

    /// <summary>The map between the two factors (identity here; SiLU for CoLA).</summary>
    protected virtual Tensor Between(Tensor h) => h;

    public override Tensor forward(Tensor x)
    {
        using var h = nn.functional.linear(x, V);
        using var a = Between(h);
        return nn.functional.linear(a, U);
    }

    /// <summary>‖U V‖²_F = tr((UᵀU)(V Vᵀ)), computed without forming U V.</summary>
    public override Tensor? ProductFrobeniusSquared()
    {
        using var utu = U.t().matmul(U);
        using var vvt = V.matmul(V.t());
        using var prod = utu * vvt;
        return prod.sum();
    }
}

/// <summary><c>y = U σ(V x)</c> with σ = SiLU (CoLA, arXiv 2502.10940).</summary>
public sealed class ColaLinear(LinearLayerSpec spec) : FactoredLinear("ColaLinear", spec)
{
    protected override Tensor Between(Tensor h) => nn.functional.silu(h);

    /// <summary>Not defined for a nonlinear product.</summary>
    public override Tensor? ProductFrobeniusSquared() => null;
}

/// <summary><c>y = U (V x) + D ⊙ x</c> on the first min(in, out) coordinates, D learned.</summary>
public sealed class FactoredDiagonalLinear : FactoredLinear
{
    readonly Parameter D;

    public FactoredDiagonalLinear(LinearLayerSpec spec) : base("FactoredDiagonalLinear", spec)
    {
        // D starts at zero, so the layer starts as its factored product (and at zero where the baseline zero-inits).
        D = nn.Parameter(torch.zeros(Math.Min(spec.InFeatures, spec.OutFeatures)));
        // The base constructor already registered its components, and RegisterComponents runs once per module.
        register_parameter(nameof(D), D);
    }

    /// <summary>The learned diagonal.</summary>
    public Parameter Diagonal => D;

    public override Tensor forward(Tensor x)
    {
        using var low = base.forward(x);
        int n = (int)D.shape[0];
        using var xd = (InFeatures == n ? x : x.narrow(-1, 0, n)) * D;
        if (OutFeatures == n) return low + xd;
        // out > in: the diagonal covers the first `in` outputs; pad the rest with zeros.
        using var padded = nn.functional.pad(xd, [0, OutFeatures - n]);
        return low + padded;
    }
}
