// `lowrank bench peak`: this machine's float32 matmul peak (best of repeated n×n products), the denominator of MFU.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Training;
using TorchSharp;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class PeakBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Square matrix size.", DefaultValueFactory = _ => 2048 };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Measure for this long.",
            DefaultValueFactory = _ => 3,
        };
        var threads = Threads();
        var peak =
            new Command("peak", "Float32 matmul peak of this machine (best of repeated n×n products), the " +
            "denominator of MFU.") { size, seconds, threads };
        peak.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            double flops = MachinePeak.Float32FlopsPerSecond(n: parse.GetValue(size), seconds: parse.GetValue(seconds));
            Console.WriteLine(string
                .Create(Ci, $"float32 matmul {parse.GetValue(size)}x{parse.GetValue(size)} on {MLNet.LowRank.Runtime.TorchRuntime.Device}, {torch.get_num_threads()} threads, OpenMP wait {RuntimePolicyText()}: {flops / 1e9:F1} GFLOP/s"));
            return 0;
        });
        return peak;
    }
}
