using MLNet.LowRank.Runtime;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Tests.Training;

public class MuonTests
{
    public MuonTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(64, 64)]
    [InlineData(128, 32)]
    [InlineData(16, 96)]
    public void Orthogonalised_update_has_singular_values_near_one(int rows, int cols)
    {
        // Five quintic steps lift a singular value by at most ~3.4⁵ ≈ 490 relative to the Frobenius norm, so a Gaussian
        // draw's smallest singular values (random, sometimes below that reach) make the property depend on the draw.
        // The gradient here has a known spectrum instead: random orthogonal bases (the test's own generator, so tests
        // running in parallel on torch's global generator cannot change it) and singular values spread from 1 down to
        // 0.1.
        using var generator = new torch.Generator(1);
        int k = Math.Min(rows, cols);
        var (q1, _) = torch.linalg.qr(torch.randn(rows, k, generator: generator));
        var (q2, _) = torch.linalg.qr(torch.randn(cols, k, generator: generator));
        using var spectrum = torch.logspace(0, -1, k);
        using var g = (q1 * spectrum).matmul(q2.t());
        using var x = NewtonSchulz.Orthogonalize(g, 5);
        using var s = torch.linalg.svdvals(x);
        var values = s.data<float>().ToArray();
        values.Should().HaveCount(k);
        // Newton–Schulz acts on singular values only: in G's own singular bases the update is diagonal, every value
        // lifted into the band the spec's quintic reaches after five steps (about 0.7–1.2, whatever the input's
        // spread).
        using var inBasis = q1.t().matmul(x).matmul(q2);
        using var diagonal = inBasis.diagonal();
        using var offDiagonal = (inBasis - torch.diag(diagonal)).abs().max();
        offDiagonal.item<float>().Should().BeLessThan(1e-3f, "the singular vectors are G's");
        diagonal.data<float>().ToArray().Should().OnlyContain(v => v >= 0.65f && v <= 1.25f);
        q1.Dispose(); q2.Dispose();
    }

    [Fact]
    public void Batched_orthogonalisation_equals_one_matrix_at_a_time()
    {
        torch.random.manual_seed(2);
        using var g = torch.randn(3, 24, 40);
        using var batched = NewtonSchulz.Orthogonalize(g, 5);
        for (int i = 0; i < 3; i++)
        {
            using var one = NewtonSchulz.Orthogonalize(g[i], 5);
            torch.allclose(batched[i], one, atol: 1e-5).Should().BeTrue();
        }
    }

    [Fact]
    public void A_zero_padded_batch_of_mixed_shapes_equals_one_matrix_at_a_time()
    {
        torch.random.manual_seed(3);
        var matrices = new[] { torch.randn(24, 40), torch.randn(40, 24), torch.randn(8, 40), torch.randn(24, 24) };
        var padded = NewtonSchulz.OrthogonalizePadded(matrices, 5);
        for (int i = 0; i < matrices.Length; i++)
        {
            using var one = NewtonSchulz.Orthogonalize(matrices[i], 5);
            padded[i].shape.Should().Equal(matrices[i].shape);
            torch.allclose(padded[i], one,
                atol: 1e-5).Should().BeTrue($"matrix {i} ({string.Join('x', matrices[i].shape)})");
        }
        foreach (var t in matrices.Concat(padded)) t.Dispose();
    }

    [Fact]
    public void Muon_sharing_one_call_between_tall_and_wide_groups_updates_each_matrix_as_alone()
    {
        // A tall 48×16 and a wide 16×48 group share one Newton–Schulz call; a 16×16 group has its own. Each parameter
        // must move by −lr·scale·NS(nesterov) of its own gradient, computed here one matrix at a time.
        torch.random.manual_seed(4);
        var shapes = new (long, long)[] { (48, 16), (48, 16), (16, 48), (16, 16) };
        var parameters = shapes.Select(s => new TorchSharp.Modules.Parameter(torch.randn(s.Item1, s.Item2))).ToArray();
        var before = parameters.Select(p => p.detach().clone()).ToArray();
        foreach (var p in parameters) p.grad = torch.randn(p.shape);
        const double lr = 0.02, mu = 0.95;
        using var muon = new Muon(parameters, lr, mu, mu, 0, 5);
        muon.Step(0, 1.0);
        using var n = new ScalarArgs();
        for (int i = 0; i < parameters.Length; i++)
        {
            using var g = parameters[i].grad!;
            // Momentum starts at zero: buf = (1−μ)·g, nesterov = lerp(g, buf, μ).
            using var nesterov = g.lerp(g.mul(n.Of(1 - mu)), mu);
            using var update = NewtonSchulz.Orthogonalize(nesterov, 5);
            double scale = Math.Sqrt(Math.Max(1.0, (double)shapes[i].Item1 / shapes[i].Item2));
            using var expected = before[i] - update.mul(n.Of(lr * scale));
            torch.allclose(parameters[i], expected, atol: 1e-6).Should().BeTrue($"parameter {i} ({shapes[i]})");
        }
        foreach (var t in before) t.Dispose();
        foreach (var p in parameters) p.Dispose();
    }
}
