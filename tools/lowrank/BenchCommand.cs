// `lowrank bench`: machine and model measurements — `peak` (the MFU denominator), `layers` (one layer of each shape,
// dense vs low-rank), `train` (whole training steps by phase). Tables on screen, CSV on disk.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Cli;

static class BenchCommand
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create() => new("bench", "Benchmarks: peak, layers, train, peer, muon, pipeline, memory, generate, make-corpus.") { Peak(), Layers(), Train(), Peer(), Muon(), Pipeline(), Memory(), Generate(), MakeCorpus() };

    /// <summary>The Brown training split as a BPE-tokenized stream, with the tokenizer.</summary>
    static (LmTokenizer Tokenizer, TokenStream Stream, Microsoft.ML.IDataView Train) BrownTokens(Microsoft.ML.MLContext ml, int vocab)
    {
        var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), 0.1);
        var tokenizer = BpeTrainer.Train(Estimators.LmTokenizerEstimator.ReadTexts(split.Train, "Text").ToList(), vocab);
        var docs = Estimators.LmTokenizerEstimator.ReadTexts(split.Train, "Text").Select(t => (IReadOnlyList<int>)tokenizer.Encode(t)).ToList();
        return (tokenizer, new TokenStream(docs, tokenizer.BosId), split.Train);
    }

    static Command Pipeline()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps of each run.", DefaultValueFactory = _ => 60 };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var threads = Threads();
        var command = new Command("pipeline", "The same training (dense, depth 4, seq 256, batch 8, BPE-4096 on Brown) through the bare loop and through ML.NET Fit: wall-clock and tokens/s of each.") { steps, dim, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var (tokenizer, stream, train) = BrownTokens(ml, 4096);
            int n = parse.GetValue(steps), width = parse.GetValue(dim);
            var options = new LowRankLmTrainer.Options { Seed = 1, Model = new() { Depth = 4, ModelDim = width, HeadDim = 64, SequenceLength = 256, Variant = LinearVariant.Dense }, Training = new() { BatchSize = 8, MaxSteps = n, EvalEvery = 0 } };
            var tokenized = ml.Data.Cache(ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Use(tokenizer)).Fit(train).Transform(train));
            var rows = new List<(string, double, double)>();
            for (int round = 0; round < 2; round++) // bare, Fit, bare, Fit: the second round is the one reported
            {
                rows.Clear();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                using (var model = Gpt.Create(options.ToConfig(tokenizer.VocabSize), 1))
                {
                    var r = LmTrainer.Train(model, stream, null, tokenizer.BytesPerToken(), options.ToTraining(seed: 1));
                    rows.Add(("bare LmTrainer.Train", sw.Elapsed.TotalSeconds, r.TokensPerSecond));
                }
                sw.Restart();
                using (var lm = ml.LowRank().Trainers.LowRankLm(options).Fit(tokenized))
                    rows.Add(("ML.NET LowRankLm Fit", sw.Elapsed.TotalSeconds, lm.Training!.TokensPerSecond));
            }
            Console.WriteLine("| path | wall-clock s | tokens/s (steps after the first) |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (name, seconds, tps) in rows) Console.WriteLine(string.Create(Ci, $"| {name} | {seconds:F2} | {tps:N0} |"));
            Console.WriteLine(string.Create(Ci, $"Fit is {(rows[1].Item2 / rows[0].Item2 - 1):+0.0%;-0.0%} in wall-clock, {(rows[0].Item3 / rows[1].Item3 - 1):+0.0%;-0.0%} in time per token against the bare loop."));
            return 0;
        });
        return command;
    }

    static Command Memory()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 2000 };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var every = new Option<int>("--every") { Description = "Print resident memory every N steps.", DefaultValueFactory = _ => 100 };
        var threads = Threads();
        var command = new Command("memory", "Resident memory over a long training run (dense, depth 4, seq 256, batch 8, BPE-4096 on Brown).") { steps, dim, every, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var (tokenizer, stream, _) = BrownTokens(ml, 4096);
            var options = new LowRankLmTrainer.Options { Seed = 1, Model = new() { Depth = 4, ModelDim = parse.GetValue(dim), HeadDim = 64, SequenceLength = 256, Variant = LinearVariant.Dense }, Training = new() { BatchSize = 8, MaxSteps = parse.GetValue(steps), EvalEvery = 0 } };
            using var model = Gpt.Create(options.ToConfig(tokenizer.VocabSize), 1);
            var samples = new List<(int Step, long Rss)>();
            var progress = new SyncProgress(p => { samples.Add((p.Step, ProcessMemory.ResidentBytes())); Console.WriteLine(string.Create(Ci, $"step {p.Step}: RSS {samples[^1].Rss / 1048576.0:F0} MB, {p.TokensPerSecond:N0} tokens/s")); });
            LmTrainer.Train(model, stream, null, tokenizer.BytesPerToken(), options.ToTraining(seed: 1) with { ReportEvery = parse.GetValue(every) }, progress);
            var after = samples.Where(s => s.Step >= samples[0].Step * 2).ToList();
            Console.WriteLine(string.Create(Ci, $"RSS from step {after[0].Step} to {samples[^1].Step}: {after[0].Rss / 1048576.0:F0} → {samples[^1].Rss / 1048576.0:F0} MB (min {after.Min(s => s.Rss) / 1048576.0:F0}, max {after.Max(s => s.Rss) / 1048576.0:F0})."));
            return 0;
        });
        return command;
    }

    sealed class SyncProgress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }

    /// <summary>Sets trainer options from "Name=value;Name=value" (a bench --model spec).</summary>
    static void ApplySpec(LowRankLmTrainer.Options o, string spec)
    {
        foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = TrainCommand.SplitAssignment(part);
            TrialParameters.Set(o, name, value);
        }
    }

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
            double flops = MachinePeak.Float32FlopsPerSecond(n: parse.GetValue(size), seconds: parse.GetValue(seconds));
            Console.WriteLine(string.Create(Ci, $"float32 matmul {parse.GetValue(size)}x{parse.GetValue(size)} on {MLNet.LowRank.Runtime.TorchRuntime.Device}, {torch.get_num_threads()} threads, OpenMP wait {RuntimePolicyText()}: {flops / 1e9:F1} GFLOP/s"));
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
        var accumulation = new Option<string>("--accumulation") { Description = "Comma-separated gradient-accumulation counts: a step is that many batches and one update (a row each).", DefaultValueFactory = _ => "1" };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-train.csv") };
        var threads = Threads();
        var command = new Command("train", "Training steps by phase (forward, loss, backward, optimizer), tokens/s and MFU for one or more configurations.")
        {
            configs, dim, depth, vocab, seq, batch, steps, warmup, accumulation, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            double peak = MachinePeak.Float32FlopsPerSecond(n: 1024, seconds: 1.0);
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given : ["Variant=Dense", "AttentionRank=64;MlpRank=64"];
            var rows = new List<TrainMeasurement>();
            foreach (var spec in specs)
            {
                var o = new LowRankLmTrainer.Options { Model = new() { Depth = parse.GetValue(depth), ModelDim = parse.GetValue(dim), HeadDim = Math.Min(64, parse.GetValue(dim)), SequenceLength = parse.GetValue(seq) } };
                ApplySpec(o, spec);
                foreach (int accumulate in parse.GetValue(accumulation)!.Split(',').Select(a => int.Parse(a, Ci)))
                {
                    int tokensPerStep = accumulate * parse.GetValue(batch) * parse.GetValue(seq);
                    string name = accumulate == 1 ? spec : string.Create(Ci, $"{spec}, {tokensPerStep:N0} tokens/step ({accumulate} × {parse.GetValue(batch)} × {parse.GetValue(seq)})");
                    rows.Add(TrainBenchmark.Run(name, o.ToConfig(parse.GetValue(vocab)), parse.GetValue(batch), o.Training.Optimizer, peak, parse.GetValue(steps), parse.GetValue(warmup), accumulate));
                }
            }
            Console.WriteLine(string.Create(Ci, $"peak (float32 1024² matmul, {torch.get_num_threads()} threads, OpenMP wait {RuntimePolicyText()}): {peak / 1e9:F1} GFLOP/s"));
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

    static string RuntimePolicyText() =>
        $"{Runtime.ThreadPolicy.NativeVariable("OMP_WAIT_POLICY") ?? "OpenMP default"} ({Runtime.ThreadPolicy.Report}); malloc: {Runtime.MemoryPolicy.Report}";

    static Command Peer()
    {
        var configs = new Option<string[]>("--model")
        {
            Description = "A shape as Name=value pairs joined by ';' (trainer option names, plus VocabSize), repeatable. Default: the three of docs/performance.md's peer table.",
            AllowMultipleArgumentsPerToken = true,
        };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (median).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 3 };
        var optimizer = new Option<string>("--optimizer") { Description = "AdamW (both sides' own) or MuonAdamW.", DefaultValueFactory = _ => "AdamW" };
        var python = new Option<string>("--python") { Description = "Interpreter with torch.", DefaultValueFactory = _ => PeerBenchmark.DefaultPython };
        var reference = new Option<DirectoryInfo?>("--reference") { Description = "The tools/reference folder (default: found above the working directory)." };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-peer.csv") };
        var threads = Threads();
        var command = new Command("peer", "The library's training step against the independent PyTorch reference (tools/reference/bench.py) on the same shapes, batch, optimizer and threads, one after the other: tokens/s, phases and the ratio.")
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
                var o = new LowRankLmTrainer.Options { Model = new() { Depth = 4, ModelDim = 256, SequenceLength = 256 } };
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
                var peer = PeerBenchmark.Run(config, b, factory.Name, torch.get_num_threads(), n, w, parse.GetValue(python), referenceDir);
                if (peer.Parameters != library.Parameters)
                    throw new InvalidOperationException($"{spec}: the reference built {peer.Parameters:N0} parameters, the library {library.Parameters:N0}; the shapes differ, so the timings are not comparable.");
                rows.Add((spec, library, peer));
            }
            Console.WriteLine(string.Create(Ci, $"{torch.get_num_threads()} threads each; OpenMP wait policy: {RuntimePolicyText()}; batch {parse.GetValue(batch)}; {factory.Name}; PyTorch {rows[0].Reference.TorchVersion} with {rows[0].Reference.Blas}; medians of {parse.GetValue(steps)} steps after {parse.GetValue(warmup)}"));
            if (rows[0].Reference.Blas.Contains("/blas/", StringComparison.Ordinal) || rows[0].Reference.Blas == "unknown")
                Console.WriteLine($"WARNING: the reference's torch loaded {rows[0].Reference.Blas}, not OpenBLAS: Debian's netlib reference BLAS is ~25× slower, so the ratio below says nothing about this library. Install libopenblas0 (apt-get install libopenblas0) and run again.");
            Console.WriteLine("| shape | library tok/s | PyTorch tok/s | ratio | library fwd / bwd / opt ms | PyTorch fwd / bwd / opt ms | library bwd ÷ fwd |");
            Console.WriteLine("|---|---:|---:|---:|---|---|---:|");
            foreach (var (spec, l, r) in rows)
                Console.WriteLine(string.Create(Ci, $"| {spec} | {l.TokensPerSecond:N0} | {r.TokensPerSecond:N0} | {l.TokensPerSecond / r.TokensPerSecond:F2}× | {l.ForwardMs:F1} / {l.BackwardMs:F1} / {l.OptimizerMs:F1} | {r.ForwardMs:F1} / {r.BackwardMs:F1} / {r.OptimizerMs:F1} | {l.BackwardMs / l.ForwardMs:F2} |"));
            WriteCsv(parse.GetValue(csv)!.FullName, "shape,library_tokens_per_second,reference_tokens_per_second,ratio,library_forward_ms,library_loss_ms,library_backward_ms,library_optimizer_ms,library_step_ms,reference_forward_ms,reference_loss_ms,reference_backward_ms,reference_optimizer_ms,reference_step_ms,threads,torch,blas",
                rows.Select(x => string.Create(Ci, $"\"{x.Spec}\",{x.Library.TokensPerSecond:R},{x.Reference.TokensPerSecond:R},{x.Library.TokensPerSecond / x.Reference.TokensPerSecond:R},{x.Library.ForwardMs:R},{x.Library.LossMs:R},{x.Library.BackwardMs:R},{x.Library.OptimizerMs:R},{x.Library.StepMs:R},{x.Reference.ForwardMs:R},{x.Reference.LossMs:R},{x.Reference.BackwardMs:R},{x.Reference.OptimizerMs:R},{x.Reference.StepMs:R},{x.Reference.Threads},{x.Reference.TorchVersion},\"{x.Reference.Blas}\"")));
            return 0;
        });
        return command;
    }

    static Command Muon()
    {
        var configs = new Option<string[]>("--model") { Description = "A configuration as Name=value pairs joined by ';' (trainer option names), repeatable. Default: dense and AttentionRank=64;MlpRank=64.", AllowMultipleArgumentsPerToken = true };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var depth = new Option<int>("--depth") { Description = "Depth.", DefaultValueFactory = _ => 4 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (median).", DefaultValueFactory = _ => 7 };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-muon.csv") };
        var threads = Threads();
        var command = new Command("muon", "Newton–Schulz over a model's block matrices batched per shape (Muon's way), per wide-orientation shape, and as one zero-padded batch.") { configs, dim, depth, repeats, csv, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var specs = parse.GetValue(configs) is { Length: > 0 } given ? given : ["Variant=Dense", "AttentionRank=64;MlpRank=64"];
            Console.WriteLine(string.Create(Ci, $"{torch.get_num_threads()} threads; 5 Newton–Schulz steps; median of {parse.GetValue(repeats)}"));
            var rows = new List<string>();
            Console.WriteLine("| model | strategy | calls | ms | GFLOP | GFLOP/s |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|");
            foreach (var spec in specs)
            {
                var o = new LowRankLmTrainer.Options { Model = new() { Depth = parse.GetValue(depth), ModelDim = parse.GetValue(dim), HeadDim = Math.Min(64, parse.GetValue(dim)) } };
                ApplySpec(o, spec);
                foreach (var r in NewtonSchulzBenchmark.Run(o.ToConfig(256), repeats: parse.GetValue(repeats)))
                {
                    Console.WriteLine(string.Create(Ci, $"| {spec} | {r.Strategy} | {r.Calls} | {r.MedianMs:F1} | {r.Gflop:F2} | {r.Gflop / r.MedianMs * 1000:F1} |"));
                    rows.Add(string.Create(Ci, $"\"{spec}\",{r.Strategy},{r.Calls},{r.MedianMs:R},{r.Gflop:R}"));
                }
            }
            WriteCsv(parse.GetValue(csv)!.FullName, "model,strategy,calls,median_ms,gflop", rows);
            return 0;
        });
        return command;
    }

    static Command MakeCorpus()
    {
        var gigabytes = new Option<double>("--gigabytes") { Description = "Size of the JSONL to write.", DefaultValueFactory = _ => 1.0 };
        var output = new Option<FileInfo>("--out") { Description = "The .jsonl file to write.", Required = true };
        var command = new Command("make-corpus", "Write a large deterministic JSONL corpus (the embedded Brown corpus repeated, each copy's words rotated differently) for memory and throughput benchmarks of corpora larger than memory.") { gigabytes, output };
        command.SetAction(parse =>
        {
            var docs = Data.BrownCorpus.Load();
            long target = (long)(parse.GetValue(gigabytes) * 1e9), written = 0;
            using var file = new StreamWriter(parse.GetValue(output)!.FullName, false, new System.Text.UTF8Encoding(false), 1 << 20);
            for (int copy = 0; written < target; copy++)
                foreach (var d in docs)
                {
                    var words = d.Text.Split(' ');
                    int shift = copy % Math.Max(1, words.Length);
                    string text = string.Join(' ', words[shift..].Concat(words[..shift]));
                    string line = System.Text.Json.JsonSerializer.Serialize(new { id = $"{copy}-{d.Id}", text });
                    file.WriteLine(line);
                    written += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
                    if (written >= target) break;
                }
            Console.WriteLine(string.Create(Ci, $"wrote {parse.GetValue(output)!.FullName}: {written / 1e9:F2} GB"));
            return 0;
        });
        return command;
    }

    static Command Generate()
    {
        var modelPath = new Option<FileInfo?>("--model") { Description = "A saved model zip to time; default: a fresh dense model of --dim, depth 4, context 256, with a BPE-4096 tokenizer trained on Brown (timing does not depend on the weights)." };
        var dim = new Option<int>("--dim") { Description = "Width of the fresh model.", DefaultValueFactory = _ => 256 };
        var newTokens = new Option<int>("--tokens") { Description = "New tokens per prompt.", DefaultValueFactory = _ => 256 };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per setting (median), after one untimed.", DefaultValueFactory = _ => 3 };
        var csv = new Option<FileInfo>("--csv") { Description = "CSV output.", DefaultValueFactory = _ => new FileInfo("bench-generate.csv") };
        var threads = Threads();
        var command = new Command("generate", "Greedy generation tokens/s with and without the key/value cache; prompts are the openings of Brown validation documents.")
        {
            modelPath, dim, newTokens, batches, repeats, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), 0.1);
            var prompts = Estimators.LmTokenizerEstimator.ReadTexts(split.Validation, "Text").Take(8).Select(t => t[..Math.Min(200, t.Length)]).ToArray();
            Transformers.LowRankLmTransformer? loaded = null;
            Gpt model;
            LmTokenizer tokenizer;
            if (parse.GetValue(modelPath) is { } file)
            {
                loaded = ml.LowRank().LoadModel(file.FullName).GetLanguageModel();
                (model, tokenizer) = (loaded.Model, loaded.Tokenizer);
            }
            else
            {
                tokenizer = BpeTrainer.Train(Estimators.LmTokenizerEstimator.ReadTexts(split.Train, "Text").ToList(), 4096);
                var o = new LowRankLmTrainer.Options { Model = new() { Depth = 4, ModelDim = parse.GetValue(dim), HeadDim = Math.Min(64, parse.GetValue(dim)), SequenceLength = 256, Variant = LinearVariant.Dense } };
                model = Gpt.Create(o.ToConfig(tokenizer.VocabSize), seed: 1);
            }
            var c = model.Config;
            var sizes = parse.GetValue(batches)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(b => int.Parse(b, Ci)).ToArray();
            var rows = GenerationBenchmark.Run(model, tokenizer, prompts, parse.GetValue(newTokens), sizes, parse.GetValue(repeats));
            Console.WriteLine(string.Create(Ci, $"model: width {c.ModelDim}, depth {c.Depth}, context {c.SequenceLength}, vocab {c.VocabSize:N0}, {ModelSummary.For(c).TotalParameters:N0} parameters; {torch.get_num_threads()} threads; greedy, {parse.GetValue(newTokens)} new tokens per prompt"));
            Console.WriteLine("| batch | cache | seconds (median) | new tokens/s | speed-up |");
            Console.WriteLine("|---:|---|---:|---:|---:|");
            foreach (var r in rows)
            {
                double uncached = rows.Single(u => u.Batch == r.Batch && !u.UseCache).TokensPerSecond;
                Console.WriteLine(string.Create(Ci, $"| {r.Batch} | {(r.UseCache ? "yes" : "no")} | {r.MedianSeconds:F2} | {r.TokensPerSecond:N0} | {r.TokensPerSecond / uncached:F1}× |"));
            }
            WriteCsv(parse.GetValue(csv)!.FullName, "batch,cache,new_tokens,median_seconds,tokens_per_second",
                rows.Select(r => string.Create(Ci, $"{r.Batch},{r.UseCache},{r.NewTokens},{r.MedianSeconds:R},{r.TokensPerSecond:R}")));
            (loaded as IDisposable ?? model).Dispose();
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
