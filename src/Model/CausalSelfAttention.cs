// Multi-head causal self-attention with rotary embeddings and QK-norm (model-spec §1); q, k, v, out may be low-rank.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Causal self-attention of one block.</summary>
public sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    readonly LinearLayer c_q, c_k, c_v, c_proj;
    readonly Rotary rotary;
    readonly int heads, headDim;
    readonly double eps;

    public CausalSelfAttention(GptConfig config, int rank, Rotary rotary, Generator? generator = null,
        bool initialize = true) : base(nameof(CausalSelfAttention))
    {
        int dim = config.ModelDim;
        var variant = config.AttentionVariant;
        c_q = variant.Create(new(dim, dim, rank, config.Init, ZeroOutput: false, generator, initialize));
        c_k = variant.Create(new(dim, dim, rank, config.Init, ZeroOutput: false, generator, initialize));
        c_v = variant.Create(new(dim, dim, rank, config.Init, ZeroOutput: false, generator, initialize));
        c_proj = variant.Create(new(dim, dim, rank, config.Init, ZeroOutput: true, generator, initialize));
        this.rotary = rotary;
        heads = config.Heads;
        headDim = config.HeadDim;
        eps = config.NormEps;
        RegisterComponents();
    }

    /// <summary>The four projections: q, k, v, out.</summary>
    public IEnumerable<LinearLayer> Projections => [c_q, c_k, c_v, c_proj];

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var (q, k, v) = Project(x, rotary.Apply);
        // TorchSharp spells the causal flag `is_casual`; passed positionally.
        var y = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true);
        return Output(y).MoveToOuterDisposeScope();
    }

    /// <summary>q, k, v as (batch, heads, time, head dim): q and k rotated by <paramref name="rotate"/> and RMS-normed
    /// (QK-norm), v as projected.</summary>
    (Tensor Q, Tensor K, Tensor V) Project(Tensor x, Func<Tensor, Tensor> rotate)
    {
        long b = x.shape[0], t = x.shape[1];
        var q = RmsNorm.Apply(rotate(c_q.forward(x).view(b, t, heads, headDim)), eps).transpose(1, 2);
        var k = RmsNorm.Apply(rotate(c_k.forward(x).view(b, t, heads, headDim)), eps).transpose(1, 2);
        var v = c_v.forward(x).view(b, t, heads, headDim).transpose(1, 2);
        return (q, k, v);
    }

    /// <summary>The heads' outputs (batch, heads, time, head dim) merged and projected back to the width.</summary>
    Tensor Output(Tensor y)
    {
        long b = y.shape[0], t = y.shape[2];
        return c_proj.forward(y.transpose(1, 2).contiguous().view(b, t, heads * headDim));
    }

    /// <summary>The same attention for a cached pass: this token's keys and values go into the layer's cache
    /// (post-rotary, post-norm, as they are used), and a decode attends to the row's cached columns.</summary>
    internal Tensor ForwardCached(Tensor x, Tensor keys, Tensor values, CachedPass pass)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var (q, k, v) = Project(x, h => rotary.Apply(h, pass.Positions));
        Tensor y;
        if (pass.Rows is { } rows)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                keys[rows[i]].narrow(1, 0, t).copy_(k[i]);
                values[rows[i]].narrow(1, 0, t).copy_(v[i]);
            }
            y = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true);
        }
        else
        {
            var column = pass.Positions.view(b, 1, 1, 1).expand(b, heads, 1, headDim);
            keys.scatter_(2, column, k);
            values.scatter_(2, column, v);
            y = nn.functional.scaled_dot_product_attention(q, keys.narrow(2, 0, pass.Width),
                values.narrow(2, 0, pass.Width), pass.Mask, 0.0, false);
        }
        return Output(y).MoveToOuterDisposeScope();
    }
}
