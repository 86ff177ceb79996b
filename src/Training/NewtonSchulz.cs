// Muon's orthogonalisation (model-spec §1): five quintic Newton–Schulz steps after Frobenius normalisation, on a batch
// of same-shaped matrices at once. Coefficients (3.4445, −4.7750, 2.0315) as in Keller Jordan's Muon and nanochat.
using TorchSharp;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Training;

/// <summary>Approximate orthogonalisation U·Vᵀ of G = U·S·Vᵀ (singular values pushed towards 1).</summary>
public static class NewtonSchulz
{
    const double A = 3.4445, B = -4.7750, C = 2.0315;

    /// <summary>Orthogonalises each matrix of <paramref name="g"/> (…, rows, cols).</summary>
    public static Tensor Orthogonalize(Tensor g, int steps)
    {
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        bool tall = g.shape[^2] > g.shape[^1];
        // Work on the wide orientation so X·Xᵀ is the smaller Gram matrix.
        var x = tall ? g.transpose(-2, -1) : g;
        var norm = (x * x).sum([-2L, -1L], keepdim: true).sqrt_().add_(n.Of(1e-7), n.Of(1L));
        x = x / norm;
        for (int i = 0; i < steps; i++)
        {
            var gram = x.matmul(x.transpose(-2, -1));
            var poly = Polynomial(gram, n);
            x = poly.matmul(x).add_(x, n.Of(A));
        }
        return (tall ? x.transpose(-2, -1) : x).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Orthogonalizes matrices of different shapes in one batched call: each is turned to its wide orientation
    /// and zero-padded to the largest rows × columns. Exact, not an approximation: zero rows and columns leave the
    /// Frobenius norm and the Gram matrix's non-zero block unchanged and stay zero through every step. Costs the padded
    /// FLOPs.</summary>
    public static Tensor[] OrthogonalizePadded(IReadOnlyList<Tensor> matrices, int steps)
    {
        using var scope = torch.NewDisposeScope();
        var wide = matrices.Select(m => m.shape[^2] > m.shape[^1] ? m.transpose(-2, -1) : m).ToList();
        long rows = wide.Max(m => m.shape[^2]), cols = wide.Max(m => m.shape[^1]);
        var batch = torch.zeros(wide.Count, rows, cols, dtype: matrices[0].dtype, device: matrices[0].device);
        for (int i = 0; i < wide.Count; i++) batch[i].narrow(0, 0, wide[i].shape[0]).narrow(1, 0,
            wide[i].shape[1]).copy_(wide[i]);
        var result = Orthogonalize(batch, steps);
        var outputs = new Tensor[matrices.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            var w = result[i].narrow(0, 0, wide[i].shape[0]).narrow(1, 0, wide[i].shape[1]);
            outputs[i] = (matrices[i].shape[^2] > matrices[i].shape[^1] ? w.transpose(-2,
                -1) : w).contiguous().MoveToOuterDisposeScope();
        }
        return outputs;
    }

    // B·M + C·M·M for a Gram matrix M (or a batch of them).
    static Tensor Polynomial(Tensor gram, ScalarArgs n) => gram.matmul(gram).mul_(n.Of(C)).add_(gram, n.Of(B));
}
