// One pre-norm transformer block (model-spec §1): x + attn(norm(x)), then x + mlp(norm(x)).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>A transformer block with its own attention and MLP ranks.</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    readonly CausalSelfAttention attn;
    readonly Mlp mlp;
    readonly double eps;

    public Block(GptConfig config, int layer, Rotary rotary, Generator? generator = null, bool initialize = true) : base(nameof(Block))
    {
        AttentionRank = config.AttentionRankAt(layer);
        MlpRank = config.MlpRankAt(layer);
        attn = new CausalSelfAttention(config, AttentionRank, rotary, generator, initialize);
        mlp = new Mlp(config, MlpRank, generator, initialize);
        eps = config.NormEps;
        RegisterComponents();
    }

    /// <summary>Rank of this block's attention matrices (ModelDim when dense).</summary>
    public int AttentionRank { get; }

    /// <summary>Rank of this block's MLP matrices (ModelDim when dense).</summary>
    public int MlpRank { get; }

    public CausalSelfAttention Attention => attn;
    public Mlp Mlp => mlp;

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + attn.forward(RmsNorm.Apply(x, eps));
        var y = h + mlp.forward(RmsNorm.Apply(h, eps));
        return y.MoveToOuterDisposeScope();
    }

    internal Tensor ForwardCached(Tensor x, Tensor keys, Tensor values, CachedPass pass)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + attn.ForwardCached(RmsNorm.Apply(x, eps), keys, values, pass);
        var y = h + mlp.forward(RmsNorm.Apply(h, eps));
        return y.MoveToOuterDisposeScope();
    }
}
