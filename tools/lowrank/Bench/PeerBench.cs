// `lowrank bench peer`: the library's training step against the independent PyTorch reference on the same shapes.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;
using TorchSharp;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class PeerBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var configs = new Option<string[]>("--model")
        {
            Description = "A shape as Name=value pairs joined by ';' (trainer option names, plus VocabSize), " +
                "repeatable. Default: the three of docs/performance.md's peer table.",
            AllowMultipleArgumentsPerToken = true,
        };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (median).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed warm-up steps.",
            DefaultValueFactory = _ => 3,
        };
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "AdamW (both sides' own) or MuonAdamW.",
            DefaultValueFactory = _ => "AdamW",
        };
        var python = new Option<string>("--python")
        {
            Description = "Interpreter with torch.",
            DefaultValueFactory = _ => PeerBenchmark.DefaultPython,
        };
        var reference = new Option<DirectoryInfo?>("--reference")
        {
            Description = "The tools/reference folder (default: found above the working directory).",
        };
        var csv = Csv();
        var threads = Threads();
        var command =
            new Command("peer", "The library's training step against the independent PyTorch reference " +
            "(tools/reference/bench.py) on the same shapes, batch, optimizer and threads, one after the other: " +
            "tokens/s, phases and the ratio.")
        {
            configs, batch, steps, warmup, optimizer, python, reference, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given
                : ["Variant=Dense;ModelDim=256;VocabSize=4096", "AttentionRank=64;MlpRank=64;ModelDim=256;VocabSize=4096", "Variant=Dense;ModelDim=128;VocabSize=256"];
            var factory = Optimizers.Parse(parse.GetValue(optimizer)!);
            string referenceDir = parse.GetValue(reference)?.FullName ?? PeerBenchmark.FindReferenceDirectory();
            var rows = new List<(string Spec, TrainMeasurement Library, PeerMeasurement Reference)>();
            foreach (var spec in specs)
            {
                int vocabSize = 4096;
                var o = new LowRankLmTrainer.Options
                {
                    Model = new() { Depth = 4, ModelDim = 256, SequenceLength = 256 },
                };
                bool headDimGiven = false;
                foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (name, value) = TrainCommand.SplitAssignment(part);
                    if (name.Equals("VocabSize", StringComparison.OrdinalIgnoreCase)) vocabSize = int.Parse(value, Ci);
                    else TrialParameters.Set(o, name, value);
                    headDimGiven |= name.Equals("HeadDim", StringComparison.OrdinalIgnoreCase);
                }
                if (!headDimGiven) o.Model = o.Model with { HeadDim = Math.Min(64, o.Model.ModelDim) };
                var config = o.ToConfig(vocabSize);
                config.Validate();
                int n = parse.GetValue(steps), w = parse.GetValue(warmup), b = parse.GetValue(batch);
                Console.WriteLine($"{spec}: library…");
                var library = TrainBenchmark.Run(spec, config, b, factory, peakFlops: 1, n, w);
                Console.WriteLine($"{spec}: PyTorch reference…");
                var peer = PeerBenchmark.Run(config, b, factory.Name, torch.get_num_threads(), n, w,
                    parse.GetValue(python), referenceDir);
                if (peer.Parameters != library.Parameters)
                    throw new InvalidOperationException($"{spec}: the reference " +
                        $"built {peer.Parameters:N0} parameters, the library {library.Parameters:N0}; the shapes " +
                        $"differ, so the timings are not comparable.");
                rows.Add((spec, library, peer));
            }
            Console.WriteLine(string
                .Create(Ci, $"{torch.get_num_threads()} threads each; OpenMP wait policy: {RuntimePolicyText()}; batch {parse.GetValue(batch)}; {factory.Name}; PyTorch {rows[0].Reference.TorchVersion} with {rows[0].Reference.Blas}; medians of {parse.GetValue(steps)} steps after {parse.GetValue(warmup)}"));
            if (rows[0].Reference.Blas.Contains("/blas/",
                StringComparison.Ordinal) || rows[0].Reference.Blas == "unknown")
                Console.WriteLine($"WARNING: the reference's torch loaded {rows[0].Reference.Blas}, not OpenBLAS: " +
                    $"Debian's netlib reference BLAS is ~25× slower, so the ratio below says nothing about this " +
                    $"library. Install libopenblas0 (apt-get install libopenblas0) and run again.");
            new ResultTable<(string Spec, TrainMeasurement Library, PeerMeasurement Reference)>()
                .Text("shape", "shape", x => x.Spec)
                .Number("library tok/s", "library_tokens_per_second",
                x => x.Library.TokensPerSecond, "N0").Number("PyTorch tok/s", "reference_tokens_per_second",
                x => x.Reference.TokensPerSecond, "N0")
                .Column("ratio", "ratio",
                x => (x.Library.TokensPerSecond / x.Reference.TokensPerSecond).ToString("F2", Ci) + "×",
                x => (x.Library.TokensPerSecond / x.Reference.TokensPerSecond).ToString("R", Ci))
                .Number("library fwd ms", "library_forward_ms",
                x => x.Library.ForwardMs, "F1").Number("library loss ms", "library_loss_ms",
                x => x.Library.LossMs, "F1")
                .Number("library bwd ms", "library_backward_ms",
                x => x.Library.BackwardMs, "F1").Number("library opt ms", "library_optimizer_ms",
                x => x.Library.OptimizerMs, "F1")
                .Number("library step ms", "library_step_ms", x => x.Library.StepMs, "F1")
                .Number("PyTorch fwd ms", "reference_forward_ms",
                x => x.Reference.ForwardMs, "F1").Number("PyTorch loss ms", "reference_loss_ms",
                x => x.Reference.LossMs, "F1")
                .Number("PyTorch bwd ms", "reference_backward_ms",
                x => x.Reference.BackwardMs, "F1").Number("PyTorch opt ms", "reference_optimizer_ms",
                x => x.Reference.OptimizerMs, "F1")
                .Number("PyTorch step ms", "reference_step_ms", x => x.Reference.StepMs, "F1")
                .Number("library bwd ÷ fwd", "library_backward_over_forward",
                x => x.Library.BackwardMs / x.Library.ForwardMs, "F2")
                .Column("threads", "threads", x => x.Reference.Threads.ToString(Ci)).Text("torch", "torch",
                x => x.Reference.TorchVersion).Text("BLAS", "blas", x => x.Reference.Blas)
                .Report(rows, parse.GetValue(csv));
            return 0;
        });
        return command;
    }
}
