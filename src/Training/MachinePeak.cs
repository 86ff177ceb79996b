// The denominator of MFU on a CPU (model-spec §3): a measured float32 matmul rate on this machine at the training
// thread count — never a datasheet number.
using System.Diagnostics;
using TorchSharp;

namespace MLNet.LowRank.Training;

/// <summary>Measures achievable float32 matmul throughput.</summary>
public static class MachinePeak
{
    static double? cached;

    /// <summary>Best FLOP/s of repeated n×n float32 products over about <paramref name="seconds"/> (cached per process for the defaults).</summary>
    public static double Float32FlopsPerSecond(int n = 1024, double seconds = 0.5)
    {
        bool defaults = n == 1024 && seconds == 0.5;
        if (defaults && cached is double c) return c;
        Runtime.TorchRuntime.EnsureInitialized();
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(n, n);
        var b = torch.randn(n, n);
        torch.matmul(a, b).Dispose(); // warm-up
        double best = 0;
        var total = Stopwatch.StartNew();
        do
        {
            var sw = Stopwatch.StartNew();
            using var product = torch.matmul(a, b);
            best = Math.Max(best, 2.0 * n * n * n / sw.Elapsed.TotalSeconds);
        } while (total.Elapsed.TotalSeconds < seconds);
        if (defaults) cached = best;
        return best;
    }
}
