// The block's MLP (model-spec §1): proj(relu(fc(x))²); fc and proj may be low-rank.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>The MLP of one block.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly LinearLayer c_fc, c_proj;

    public Mlp(GptConfig config, int rank, Generator? generator = null, bool initialize = true) : base(nameof(Mlp))
    {
        var variant = config.MlpVariant;
        c_fc = variant.Create(new(config.ModelDim, config.MlpDim, rank, config.Init, ZeroOutput: false, generator,
            initialize));
        c_proj = variant.Create(new(config.MlpDim, config.ModelDim, rank, config.Init, ZeroOutput: true, generator,
            initialize));
        RegisterComponents();
    }

    /// <summary>fc and proj.</summary>
    public IEnumerable<LinearLayer> Projections => [c_fc, c_proj];

    public override Tensor forward(Tensor x)
    {
        using var h = c_fc.forward(x);
        using var r = nn.functional.relu(h);
        using var sq = r * r;   // not square(): TorchSharp makes it pow(2) with a Scalar nothing holds
        return c_proj.forward(sq);
    }
}
