// A linear variant written outside the library, as a user would: W = U · diag(s) · V with a learned scale per rank
// direction (the factored product with its singular-value scales trained separately). Used to test named extensions.
using MLNet.LowRank.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Experiments;

public sealed class ScaledFactoredVariant : LinearVariant
{
    public override string Name => "ScaledFactored";
    public override long ParameterCount(int i, int o, int r) => (long)r * (i + o) + r;
    public override long MatmulParameterCount(int i, int o, int r) => (long)r * (i + o);
    public override LinearLayer Create(LinearLayerSpec spec) => new ScaledFactoredLinear(spec);
}

public sealed class ScaledFactoredLinear : FactoredLinear
{
    readonly Parameter s;

    public ScaledFactoredLinear(LinearLayerSpec spec) : base("ScaledFactoredLinear", spec)
    {
        s = nn.Parameter(torch.ones(spec.Rank));
        register_parameter("s", s);
    }

    protected override Tensor Between(Tensor h) => h * s;

    public override Tensor? ProductFrobeniusSquared() => null;
}
