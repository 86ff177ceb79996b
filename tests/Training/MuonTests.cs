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
        torch.random.manual_seed(1);
        using var g = torch.randn(rows, cols);
        using var x = NewtonSchulz.Orthogonalize(g, 5);
        using var s = torch.linalg.svdvals(x);
        var values = s.data<float>().ToArray();
        values.Should().OnlyContain(v => v >= 0.5f && v <= 1.5f);
        values.Should().HaveCount(Math.Min(rows, cols));
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
}
