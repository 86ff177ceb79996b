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

    public Block(GptConfig config, int layer, Rotary rotary, Generator? generator = null,
        bool initialize = true) : base(nameof(Block))
    {
        AttentionRankValue = config.AttentionRankAt(layer);
        MlpRankValue = config.MlpRankAt(layer);
        attn = new CausalSelfAttention(config, AttentionRankValue, rotary, generator, initialize);
        mlp = new Mlp(config, MlpRankValue, generator, initialize);
        eps = config.NormEps;
        RegisterComponents();
    }

    /// <summary>Rank of this block's attention matrices (ModelDim when dense): what
    /// <see cref="GptConfig.AttentionRank"/> resolved to here.</summary>
    public int AttentionRankValue { get; }

    /// <summary>Rank of this block's MLP matrices (ModelDim when dense): what <see cref="GptConfig.MlpRank"/> resolved
    /// to here.</summary>
    public int MlpRankValue { get; }

    /// <summary>Renamed <see cref="AttentionRankValue"/> (an int, where GptConfig.AttentionRank is a
    /// schedule).</summary>
    [Obsolete("Renamed AttentionRankValue; this forward goes in the next release.")]
    public int AttentionRank => AttentionRankValue;

    /// <summary>Renamed <see cref="MlpRankValue"/> (an int, where GptConfig.MlpRank is a schedule).</summary>
    [Obsolete("Renamed MlpRankValue; this forward goes in the next release.")]
    public int MlpRank => MlpRankValue;

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
