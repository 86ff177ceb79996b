// `lowrank bench`: machine and model measurements — `peak` (the MFU denominator), `layers` (one layer of each shape,
// dense vs low-rank), `train` (whole training steps by phase). Tables on screen, CSV on disk.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Cli;

static class BenchCommand
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create() => new("bench", "Benchmarks: peak, layers, train.") { Peak(), Layers(), Train() };

    static Option<int?> Threads() => new("--threads") { Description = "Torch threads (default: torch's)." };

    static void SetThreads(int? threads)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        if (threads is int t) torch.set_num_threads(t);
    }

    static Command Peak()
    {
        var size = new Option<int>("--size") { Description = "Square matrix size.", DefaultValueFactory = _ => 2048 };
        var seconds = new Option<double>("--seconds") { Description = "Measure for this long.", DefaultValueFactory = _ => 3 };
        var threads = Threads();
        var peak = new Command("peak", "Float32 matmul peak of this machine (best of repeated n×n products), the denominator of MFU.") { size, seconds, threads };
        peak.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            double flops = MachinePeak.Float32FlopsPerSecond(parse.GetValue(size), parse.GetValue(seconds));
            Console.WriteLine(string.Create(Ci, $"float32 matmul {parse.GetValue(size)}x{parse.GetValue(size)}, {torch.get_num_threads()} threads: {flops / 1e9:F1} GFLOP/s"));
            return 0;
        });
        return peak;
    }

    static Command Layers()
    {
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary (head shape).", DefaultValueFactory = _ => 4096 };
        var ranks = new Option<string>("--ranks") { Description = "Comma-separated ranks.", DefaultValueFactory = _ => "8,16,32,64,128" };
        var tokens = new Option<int>("--tokens") { Description = "Input rows (batch × sequence).", DefaultValueFactory = _ => 2048 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (median).", DefaultValueFactory = _ => 7 };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-layers.csv") };
        var threads = Threads();
        var command = new Command("layers", "Forward+backward of each layer shape: dense vs Factored/Cola by rank — GFLOP/s, FLOP and speed ratios, memory.")
        {
            dim, vocab, ranks, tokens, repeats, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var config = new GptConfig { VocabSize = parse.GetValue(vocab), ModelDim = parse.GetValue(dim), HeadDim = Math.Min(64, parse.GetValue(dim)) };
            var rankList = parse.GetValue(ranks)!.Split(',').Select(r => int.Parse(r, Ci)).ToList();
            var rows = LayerBenchmark.Run(config, rankList, parse.GetValue(tokens), parse.GetValue(repeats));
            Console.WriteLine("| shape | in | out | variant | rank | ms | GFLOP/s | FLOP ratio | speed ratio | param+grad+opt MB | activations MB |");
            Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in rows)
                Console.WriteLine(string.Create(Ci, $"| {r.Shape} | {r.In} | {r.Out} | {r.Variant} | {r.Rank} | {r.MedianMs:F3} | {r.Gflops:F1} | {r.FlopRatio:F3} | {r.SpeedRatio:F2} | {r.ParameterBytes / 1048576.0:F2} | {r.ActivationBytes / 1048576.0:F2} |"));
            WriteCsv(parse.GetValue(csv)!.FullName, "shape,in,out,variant,rank,tokens,median_ms,gflops,flop_ratio,speed_ratio,parameter_bytes,activation_bytes",
                rows.Select(r => string.Create(Ci, $"{r.Shape},{r.In},{r.Out},{r.Variant},{r.Rank},{r.Tokens},{r.MedianMs:R},{r.Gflops:R},{r.FlopRatio:R},{r.SpeedRatio:R},{r.ParameterBytes},{r.ActivationBytes}")));
            return 0;
        });
        return command;
    }

    static Command Train()
    {
        var configs = new Option<string[]>("--model") { Description = "A configuration as Name=value pairs joined by ';' (trainer option names), repeatable. Default: dense and AttentionRank=64;MlpRank=64 at the given width.", AllowMultipleArgumentsPerToken = true };
        var dim = new Option<int>("--dim") { Description = "Model width of the default configurations.", DefaultValueFactory = _ => 256 };
        var depth = new Option<int>("--depth") { Description = "Depth of the default configurations.", DefaultValueFactory = _ => 4 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size.", DefaultValueFactory = _ => 4096 };
        var seq = new Option<int>("--seq") { Description = "Sequence length.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (median).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 3 };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-train.csv") };
        var threads = Threads();
        var command = new Command("train", "Training steps by phase (forward, loss, backward, optimizer), tokens/s and MFU for one or more configurations.")
        {
            configs, dim, depth, vocab, seq, batch, steps, warmup, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            double peak = MachinePeak.Float32FlopsPerSecond(1024, 1.0);
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given : ["Variant=Dense", "AttentionRank=64;MlpRank=64"];
            var rows = new List<TrainMeasurement>();
            foreach (var spec in specs)
            {
                var o = new LowRankLmTrainer.Options { Depth = parse.GetValue(depth), ModelDim = parse.GetValue(dim), HeadDim = Math.Min(64, parse.GetValue(dim)), SequenceLength = parse.GetValue(seq) };
                foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (name, value) = TrainCommand.SplitAssignment(part);
                    TrialParameters.Set(o, name, value);
                }
                rows.Add(TrainBenchmark.Run(spec, o.ToConfig(parse.GetValue(vocab)), parse.GetValue(batch), o.Optimizer, peak, parse.GetValue(steps), parse.GetValue(warmup)));
            }
            Console.WriteLine(string.Create(Ci, $"peak (float32 1024² matmul, {torch.get_num_threads()} threads): {peak / 1e9:F1} GFLOP/s"));
            Console.WriteLine("| model | parameters | MFLOP/token | forward ms | loss ms | backward ms | optimizer ms | step ms | tokens/s | MFU | RSS MB |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in rows)
                Console.WriteLine(string.Create(Ci, $"| {r.Name} | {r.Parameters:N0} | {r.FlopsPerToken / 1e6:F2} | {r.ForwardMs:F1} | {r.LossMs:F1} | {r.BackwardMs:F1} | {r.OptimizerMs:F1} | {r.StepMs:F1} | {r.TokensPerSecond:N0} | {r.Mfu:P1} | {r.PeakResidentBytes / 1048576.0:F0} |"));
            WriteCsv(parse.GetValue(csv)!.FullName, "model,parameters,flops_per_token,forward_ms,loss_ms,backward_ms,optimizer_ms,step_ms,tokens_per_second,mfu,peak_rss_bytes",
                rows.Select(r => string.Create(Ci, $"\"{r.Name}\",{r.Parameters},{r.FlopsPerToken:R},{r.ForwardMs:R},{r.LossMs:R},{r.BackwardMs:R},{r.OptimizerMs:R},{r.StepMs:R},{r.TokensPerSecond:R},{r.Mfu:R},{r.PeakResidentBytes}")));
            return 0;
        });
        return command;
    }

    static void WriteCsv(string path, string header, IEnumerable<string> rows)
    {
        AtomicFile.WriteText(path, header + "\n" + string.Join("\n", rows) + "\n");
        Console.WriteLine($"wrote {path}");
    }
}
