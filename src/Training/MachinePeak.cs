// The denominator of MFU (model-spec §3): a measured float32 matmul rate on the device that trains, at the training
// thread count — never a datasheet number, and never the CPU's rate when a GPU trains.
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Training;

/// <summary>Measures achievable float32 matmul throughput on a device.</summary>
public static class MachinePeak
{
    static readonly Dictionary<string, double> Cached = [];

    /// <summary>Best FLOP/s of repeated n×n float32 products on <paramref name="device"/> (default
    /// <see cref="Runtime.TorchRuntime.Device"/>, where models train) over about <paramref name="seconds"/>; cached per
    /// process and device for the defaults.</summary>
    /// <exception cref="InvalidOperationException">The device cannot be used (CUDA asked for where it is
    /// unavailable).</exception>
    public static double Float32FlopsPerSecond(Device? device = null, int n = 1024, double seconds = 0.5)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        device ??= Runtime.TorchRuntime.Device;
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new InvalidOperationException($"MFU needs the peak of the device that trains ({device}), and CUDA " +
                $"is not available in this process; measure on the CPU only when the CPU trains.");
        string key = device.ToString();
        bool defaults = n == 1024 && seconds == 0.5;
        lock (Cached)
            if (defaults && Cached.TryGetValue(key, out double c)) return c;
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(n, n, device: device);
        var b = torch.randn(n, n, device: device);
        torch.matmul(a, b)[0, 0].item<float>(); // warm-up; reading one value waits for an asynchronous device
        double best = 0;
        var total = Stopwatch.StartNew();
        do
        {
            var sw = Stopwatch.StartNew();
            using var product = torch.matmul(a, b);
            product[0, 0].item<float>();
            best = Math.Max(best, 2.0 * n * n * n / sw.Elapsed.TotalSeconds);
        } while (total.Elapsed.TotalSeconds < seconds);
        if (defaults) lock (Cached) Cached[key] = best;
        return best;
    }
}
