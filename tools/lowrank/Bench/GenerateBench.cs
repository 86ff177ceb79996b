// `lowrank bench generate`: greedy generation tokens/s with and without the key/value cache.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using TorchSharp;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class GenerateBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var modelPath = new Option<FileInfo?>("--model")
        {
            Description = "A saved model zip to time; default: a fresh dense model of --dim, depth 4, context 256, " +
                "with a BPE-4096 tokenizer trained on Brown (timing does not depend on the weights).",
        };
        var dim = new Option<int>("--dim")
        {
            Description = "Width of the fresh model.",
            DefaultValueFactory = _ => 256,
        };
        var newTokens = new Option<int>("--tokens")
        {
            Description = "New tokens per prompt.",
            DefaultValueFactory = _ => 256,
        };
        var batches = new Option<string>("--batches")
        {
            Description = "Comma-separated batch sizes.",
            DefaultValueFactory = _ => "1,8",
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed runs per setting (median), after one untimed.",
            DefaultValueFactory = _ => 3,
        };
        var csv = Csv();
        var threads = Threads();
        var command =
            new Command("generate", "Greedy generation tokens/s with and without the key/value cache; prompts are " +
            "the openings of Brown validation documents.")
        {
            modelPath, dim, newTokens, batches, repeats, csv, threads,
        };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), 0.1);
            var prompts =
                Estimators.LmTokenizerEstimator.ReadTexts(split.Validation, "Text").Take(8).Select(t =>
                t[..Math.Min(200, t.Length)]).ToArray();
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
                tokenizer = BpeTrainer.Train(Estimators.LmTokenizerEstimator.ReadTexts(split.Train, "Text").ToList(),
                    4096);
                var o = new LowRankLmTrainer.Options
                {
                    Model = new() { Depth = 4, ModelDim = parse.GetValue(dim),
                        HeadDim = Math.Min(64, parse.GetValue(dim)), SequenceLength = 256,
                            Variant = LinearVariant.Dense },
                };
                model = Gpt.Create(o.ToConfig(tokenizer.VocabSize), seed: 1);
            }
            var c = model.Config;
            var sizes = parse.GetValue(batches)!.Split(',',
                StringSplitOptions.RemoveEmptyEntries).Select(b => int.Parse(b, Ci)).ToArray();
            var rows = GenerationBenchmark.Run(model, tokenizer, prompts, parse.GetValue(newTokens), sizes,
                parse.GetValue(repeats));
            Console.WriteLine(string
                .Create(Ci, $"model: width {c.ModelDim}, depth {c.Depth}, context {c.SequenceLength}, vocab {c.VocabSize:N0}, {ModelSummary.For(c).TotalParameters:N0} parameters; {torch.get_num_threads()} threads; greedy, {parse.GetValue(newTokens)} new tokens per prompt"));
            double SpeedUp(GenerationMeasurement r) => r.TokensPerSecond / rows.Single(u => u.Batch == r.Batch
                && !u.UseCache).TokensPerSecond;
            new ResultTable<GenerationMeasurement>()
                .Column("batch", "batch", r => r.Batch.ToString(Ci)).Text("cache", "cache",
                r => r.UseCache ? "yes" : "no").Column("new tokens", "new_tokens", r => r.NewTokens.ToString(Ci))
                .Number("seconds (median)", "median_seconds",
                r => r.MedianSeconds, "F2").Number("new tokens/s", "tokens_per_second", r => r.TokensPerSecond, "N0")
                .Column("speed-up", "speed_up", r => SpeedUp(r).ToString("F1", Ci) + "×",
                r => SpeedUp(r).ToString("R", Ci))
                .Report(rows, parse.GetValue(csv));
            (loaded as IDisposable ?? model).Dispose();
            return 0;
        });
        return command;
    }
}
