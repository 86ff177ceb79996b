using MLNet.LowRank.Model;
using MLNet.LowRank.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Model;

public class LowRankLinearTests
{
    public LowRankLinearTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Factored_at_full_rank_with_UV_equal_to_W_matches_the_dense_layer()
    {
        torch.random.manual_seed(5);
        using var dense = new DenseLinear(24, 16, zeroInit: false);
        using var factored = new FactoredLinear(new LinearLayerSpec(24, 16, 16, FactorInit.Matched, false));
        using (torch.no_grad())
        {
            // W = U·V with U = I (16×16) and V = W.
            factored.OutputFactor.copy_(torch.eye(16));
            factored.InputFactor.copy_(dense.Weight);
        }
        using var x = torch.randn(3, 5, 24);
        using var expected = dense.forward(x);
        using var actual = factored.forward(x);
        torch.allclose(actual, expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Matched_init_gives_the_product_the_dense_variance()
    {
        torch.random.manual_seed(11);
        const int n = 512, r = 64;
        var (u, v) = Initialization.Factors(n, n, r, FactorInit.Matched, zeroOutput: false);
        using (u) using (v)
        using (var product = u.matmul(v))
        {
            double sigma = Initialization.DenseStd(n, n);
            double variance = product.var().item<float>();
            variance.Should().BeApproximately(sigma * sigma, 0.1 * sigma * sigma);
        }
    }

    [Fact]
    public void Spectral_init_is_the_best_rank_r_approximation_of_a_dense_draw()
    {
        // The same generator state draws the dense matrix Factors starts from, so its truncated SVD is known exactly.
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        using var g1 = new torch.Generator(3);
        using var g2 = new torch.Generator(3);
        var (u, v) = Initialization.Factors(40, 30, 10, FactorInit.Spectral, zeroOutput: false, generator: g1);
        using var dense = Initialization.DenseWeight(40, 30, g2);
        var (uu, sv, vh) = torch.linalg.svd(dense, fullMatrices: false);
        using (u) using (v) using (uu) using (sv) using (vh)
        using (var product = u.matmul(v))
        using (var best = (uu[.., ..10] * sv[..10].unsqueeze(0)).matmul(vh[..10, ..]))
        {
            torch.allclose(product, best, rtol: 1e-4,
                atol: 1e-5).Should()
                .BeTrue("U·V is the dense draw's best rank-10 approximation (Eckart–Young), not a multiple of it");
            using var residual = ((dense - product) * (dense - product)).sum();
            using var tail = (sv[10..] * sv[10..]).sum();
            residual.item<float>().Should().BeApproximately(tail.item<float>(), 1e-4f * tail.item<float>());
            // Both factors carry √S: UᵀU = V Vᵀ = diag(S_r).
            using var utu = u.t().matmul(u);
            using var vvt = v.matmul(v.t());
            torch.allclose(utu, vvt, rtol: 1e-3, atol: 1e-4).Should().BeTrue();
        }
    }

    [Fact]
    public void Zero_init_zeroes_only_the_output_factor()
    {
        var (u, v) = Initialization.Factors(32, 32, 8, FactorInit.Matched, zeroOutput: true);
        using (u) using (v)
        {
            u.abs().max().item<float>().Should().Be(0);
            v.abs().max().item<float>().Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public void Frobenius_norm_of_the_product_is_computed_without_forming_it()
    {
        torch.random.manual_seed(2);
        using var layer = new FactoredLinear(new LinearLayerSpec(20, 12, 5, FactorInit.Matched, false));
        using var direct =
            (layer.OutputFactor.matmul(layer.InputFactor) * layer.OutputFactor.matmul(layer.InputFactor)).sum();
        using var viaTrace = layer.ProductFrobeniusSquared()!;
        viaTrace.item<float>().Should().BeApproximately(direct.item<float>(), 1e-4f * direct.item<float>());
    }

    [Fact]
    public void Diagonal_variant_adds_D_on_the_shared_coordinates()
    {
        torch.random.manual_seed(4);
        using var layer = new FactoredDiagonalLinear(new LinearLayerSpec(8, 12, 2, FactorInit.Matched, false));
        using var x = torch.randn(1, 3, 8);
        using var before = layer.forward(x);
        using var n = new ScalarArgs();
        using (torch.no_grad()) layer.Diagonal.fill_(n.Of(2.0));
        using var after = layer.forward(x);
        using var diff = after - before;
        // First 8 outputs gain 2·x; the 4 outputs past min(in, out) are unchanged.
        torch.allclose(diff.narrow(-1, 0, 8), x.mul(n.Of(2L)), atol: 1e-5).Should().BeTrue();
        diff.narrow(-1, 8, 4).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Cola_applies_silu_between_the_factors()
    {
        torch.random.manual_seed(6);
        using var layer = new ColaLinear(new LinearLayerSpec(10, 6, 4, FactorInit.Matched, false));
        using var x = torch.randn(2, 10);
        using var expected = nn.functional.silu(x.matmul(layer.InputFactor.t())).matmul(layer.OutputFactor.t());
        using var actual = layer.forward(x);
        torch.allclose(actual, expected, atol: 1e-6).Should().BeTrue();
    }
}
