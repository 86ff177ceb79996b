// `lowrank bench pipeline`: the same training through the bare loop and through ML.NET Fit.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class PipelineBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var steps = new Option<int>("--steps")
        {
            Description = "Training steps of each run.",
            DefaultValueFactory = _ => 60,
        };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var threads = Threads();
        var command =
            new Command("pipeline", "The same training (dense, depth 4, seq 256, batch 8, BPE-4096 on Brown) through " +
            "the bare loop and through ML.NET Fit: wall-clock and tokens/s of each.") { steps, dim, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var (tokenizer, stream, train) = BrownTokens(ml, 4096);
            int n = parse.GetValue(steps), width = parse.GetValue(dim);
            var options = new LowRankLmTrainer.Options
            {
                Seed = 1,
                Model = new() { Depth = 4, ModelDim = width, HeadDim = 64, SequenceLength = 256,
                    Variant = LinearVariant.Dense },
                Training = new() { BatchSize = 8, MaxSteps = n, EvalEvery = 0 },
            };
            var tokenized = ml.Data.Cache(ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
                LmTokenizer.Use(tokenizer)).Fit(train).Transform(train));
            var rows = new List<(string, double, double)>();
            for (int round = 0; round < 2; round++) // bare, Fit, bare, Fit: the second round is the one reported
            {
                rows.Clear();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                using (var model = Gpt.Create(options.ToConfig(tokenizer.VocabSize), 1))
                {
                    var r = TrainingLoop.Train(model, stream, null, tokenizer.BytesPerToken(),
                        options.ToTraining(seed: 1));
                    rows.Add(("bare TrainingLoop.Train", sw.Elapsed.TotalSeconds, r.TokensPerSecond));
                }
                sw.Restart();
                using (var lm = ml.LowRank().Trainers.LowRankLm(options).Fit(tokenized))
                    rows.Add(("ML.NET LowRankLm Fit", sw.Elapsed.TotalSeconds, lm.Training!.TokensPerSecond));
            }
            Console.WriteLine("| path | wall-clock s | tokens/s (steps after the first) |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (name, seconds,
                tps) in rows) Console.WriteLine(string.Create(Ci, $"| {name} | {seconds:F2} | {tps:N0} |"));
            Console.WriteLine(string
                .Create(Ci, $"Fit is {(rows[1].Item2 / rows[0].Item2 - 1):+0.0%;-0.0%} in wall-clock, {(rows[0].Item3 / rows[1].Item3 - 1):+0.0%;-0.0%} in time per token against the bare loop."));
            return 0;
        });
        return command;
    }
}
