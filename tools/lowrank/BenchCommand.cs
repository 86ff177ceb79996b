// `lowrank bench`: machine measurements. `bench peak` is the MFU denominator.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Cli;

static class BenchCommand
{
    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Square matrix size.", DefaultValueFactory = _ => 2048 };
        var seconds = new Option<double>("--seconds") { Description = "Measure for this long.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: torch's)." };
        var peak = new Command("peak", "Float32 matmul peak of this machine (best of repeated n×n products), the denominator of MFU.") { size, seconds, threads };
        peak.SetAction(parse =>
        {
            MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
            if (parse.GetValue(threads) is int t) torch.set_num_threads(t);
            double flops = MachinePeak.Float32FlopsPerSecond(parse.GetValue(size), parse.GetValue(seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"float32 matmul {parse.GetValue(size)}x{parse.GetValue(size)}, {torch.get_num_threads()} threads: {flops / 1e9:F1} GFLOP/s"));
            return 0;
        });
        return new Command("bench", "Benchmarks.") { peak };
    }
}
