// `lowrank bench train`: whole training steps by phase (forward, loss, backward, optimizer), tokens/s and MFU.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;
using TorchSharp;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class TrainBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var configs = new Option<string[]>("--model")
        {
            Description = "A configuration as Name=value pairs joined by ';' (trainer option names), repeatable. " +
                "Default: dense and AttentionRank=64;MlpRank=64 at the given width.",
            AllowMultipleArgumentsPerToken = true,
        };
        var dim = new Option<int>("--dim")
        {
            Description = "Model width of the default configurations.",
            DefaultValueFactory = _ => 256,
        };
        var depth = new Option<int>("--depth")
        {
            Description = "Depth of the default configurations.",
            DefaultValueFactory = _ => 4,
        };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size.", DefaultValueFactory = _ => 4096 };
        var seq = new Option<int>("--seq") { Description = "Sequence length.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (median).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed warm-up steps.",
            DefaultValueFactory = _ => 3,
        };
        var accumulation = new Option<string>("--accumulation")
        {
            Description = "Comma-separated gradient-accumulation counts: a step is that many batches and one update " +
                "(a row each).",
            DefaultValueFactory = _ => "1",
        };
        var csv = Csv();
        var threads = Threads();
        var command =
            new Command("train", "Training steps by phase (forward, loss, backward, optimizer), tokens/s and MFU for " +
            "one or more configurations.")
        {
            configs, dim, depth, vocab, seq, batch, steps, warmup, accumulation, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            double peak = MachinePeak.Float32FlopsPerSecond(n: 1024, seconds: 1.0);
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given
                : ["Variant=Dense", "AttentionRank=64;MlpRank=64"];
            var rows = new List<TrainMeasurement>();
            foreach (var spec in specs)
            {
                var o = new LowRankLmTrainer.Options
                {
                    Model = new() { Depth = parse.GetValue(depth), ModelDim = parse.GetValue(dim),
                        HeadDim = Math.Min(64, parse.GetValue(dim)), SequenceLength = parse.GetValue(seq) },
                };
                ApplySpec(o, spec);
                foreach (int accumulate in parse.GetValue(accumulation)!.Split(',').Select(a => int.Parse(a, Ci)))
                {
                    int tokensPerStep = accumulate * parse.GetValue(batch) * parse.GetValue(seq);
                    string name = accumulate == 1 ? spec
                        : string.Create(Ci, $"{spec}, {tokensPerStep:N0} tokens/step ({accumulate} × {parse.GetValue(batch)} × {parse.GetValue(seq)})");
                    rows.Add(TrainBenchmark.Run(name, o.ToConfig(parse.GetValue(vocab)), parse.GetValue(batch),
                        o.Training.Optimizer, peak, parse.GetValue(steps), parse.GetValue(warmup), accumulate));
                }
            }
            Console.WriteLine(string
                .Create(Ci, $"peak (float32 1024² matmul, {torch.get_num_threads()} threads, OpenMP wait {RuntimePolicyText()}): {peak / 1e9:F1} GFLOP/s"));
            new ResultTable<TrainMeasurement>()
                .Text("model", "model", r => r.Name).Column("parameters", "parameters",
                r => r.Parameters.ToString("N0", Ci), r => r.Parameters.ToString(Ci))
                .Column("MFLOP/token", "flops_per_token", r => (r.FlopsPerToken / 1e6).ToString("F2", Ci),
                r => r.FlopsPerToken.ToString("R", Ci))
                .Number("forward ms", "forward_ms", r => r.ForwardMs, "F1").Number("loss ms", "loss_ms",
                r => r.LossMs, "F1").Number("backward ms", "backward_ms", r => r.BackwardMs, "F1")
                .Number("optimizer ms", "optimizer_ms", r => r.OptimizerMs, "F1").Number("step ms", "step_ms",
                r => r.StepMs, "F1")
                .Number("tokens/s", "tokens_per_second", r => r.TokensPerSecond, "N0").Number("MFU", "mfu",
                r => r.Mfu, "P1")
                .Column("RSS MB", "peak_rss_bytes", r => (r.PeakResidentBytes / 1048576.0).ToString("F0", Ci),
                r => r.PeakResidentBytes.ToString(Ci))
                .Report(rows, parse.GetValue(csv));
            return 0;
        });
        return command;
    }
}
