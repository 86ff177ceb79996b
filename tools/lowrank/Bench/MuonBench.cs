// `lowrank bench muon`: Newton–Schulz over a model's block matrices, batched three ways.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Estimators;
using TorchSharp;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class MuonBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var configs = new Option<string[]>("--model")
        {
            Description = "A configuration as Name=value pairs joined by ';' (trainer option names), repeatable. " +
                "Default: dense and AttentionRank=64;MlpRank=64.",
            AllowMultipleArgumentsPerToken = true,
        };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var depth = new Option<int>("--depth") { Description = "Depth.", DefaultValueFactory = _ => 4 };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed repeats (median).",
            DefaultValueFactory = _ => 7,
        };
        var csv = Csv();
        var threads = Threads();
        var command =
            new Command("muon", "Newton–Schulz over a model's block matrices batched per shape (Muon's way), per " +
            "wide-orientation shape, and as one zero-padded batch.") { configs, dim, depth, repeats, csv, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given
                : ["Variant=Dense", "AttentionRank=64;MlpRank=64"];
            Console.WriteLine(string
                .Create(Ci, $"{torch.get_num_threads()} threads; 5 Newton–Schulz steps; median of {parse.GetValue(repeats)}"));
            var rows = new List<(string Spec, NewtonSchulzMeasurement Result)>();
            foreach (var spec in specs)
            {
                var o = new LowRankLmTrainer.Options
                {
                    Model = new() { Depth = parse.GetValue(depth), ModelDim = parse.GetValue(dim),
                        HeadDim = Math.Min(64, parse.GetValue(dim)) },
                };
                ApplySpec(o, spec);
                rows.AddRange(NewtonSchulzBenchmark.Run(o.ToConfig(256),
                    repeats: parse.GetValue(repeats)).Select(r => (spec, r)));
            }
            new ResultTable<(string Spec, NewtonSchulzMeasurement Result)>()
                .Text("model", "model", x => x.Spec).Text("strategy", "strategy",
                x => x.Result.Strategy.ToString()!).Column("calls", "calls", x => x.Result.Calls.ToString(Ci))
                .Number("ms", "median_ms", x => x.Result.MedianMs, "F1").Number("GFLOP", "gflop",
                x => x.Result.Gflop, "F2")
                .Number("GFLOP/s", "gflops", x => x.Result.Gflop / x.Result.MedianMs * 1000, "F1")
                .Report(rows, parse.GetValue(csv));
            return 0;
        });
        return command;
    }
}
