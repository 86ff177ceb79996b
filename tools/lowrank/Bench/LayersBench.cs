// `lowrank bench layers`: forward+backward of one layer of each shape, dense against Factored/CoLA by rank.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Model;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class LayersBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var vocab = new Option<int>("--vocab")
        {
            Description = "Vocabulary (head shape).",
            DefaultValueFactory = _ => 4096,
        };
        var ranks = new Option<string>("--ranks")
        {
            Description = "Comma-separated ranks.",
            DefaultValueFactory = _ => "8,16,32,64,128",
        };
        var tokens = new Option<int>("--tokens")
        {
            Description = "Input rows (batch × sequence).",
            DefaultValueFactory = _ => 2048,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed repeats (median).",
            DefaultValueFactory = _ => 7,
        };
        var csv = Csv();
        var threads = Threads();
        var command =
            new Command("layers", "Forward+backward of each layer shape: dense vs Factored/Cola by rank — GFLOP/s, " +
            "FLOP and speed ratios, memory.")
        {
            dim, vocab, ranks, tokens, repeats, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var config = new GptConfig
            {
                VocabSize = parse.GetValue(vocab),
                ModelDim = parse.GetValue(dim),
                HeadDim = Math.Min(64, parse.GetValue(dim)),
            };
            var rankList = parse.GetValue(ranks)!.Split(',').Select(r => int.Parse(r, Ci)).ToList();
            var rows = LayerBenchmark.Run(config, rankList, parse.GetValue(tokens), parse.GetValue(repeats));
            new ResultTable<LayerMeasurement>()
                .Text("shape", "shape", r => r.Shape).Column("in", "in", r => r.In.ToString(Ci)).Column("out", "out",
                r => r.Out.ToString(Ci))
                .Text("variant", "variant", r => r.Variant.ToString()!).Column("rank", "rank",
                r => r.Rank.ToString(Ci)).Column("tokens", "tokens", r => r.Tokens.ToString(Ci))
                .Number("ms", "median_ms", r => r.MedianMs, "F3").Number("GFLOP/s", "gflops",
                r => r.Gflops, "F1").Number("FLOP ratio", "flop_ratio", r => r.FlopRatio, "F3")
                .Number("speed ratio", "speed_ratio", r => r.SpeedRatio, "F2")
                .Column("param+grad+opt MB", "parameter_bytes", r => (r.ParameterBytes / 1048576.0).ToString("F2", Ci),
                r => r.ParameterBytes.ToString(Ci))
                .Column("activations MB", "activation_bytes", r => (r.ActivationBytes / 1048576.0).ToString("F2", Ci),
                r => r.ActivationBytes.ToString(Ci))
                .Report(rows, parse.GetValue(csv));
            return 0;
        });
        return command;
    }
}
