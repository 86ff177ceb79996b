// `lowrank bench memory`: resident memory over a long training run (flat, or a leak).
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using static MLNet.LowRank.Cli.Bench.BenchShared;

namespace MLNet.LowRank.Cli.Bench;

static class MemoryBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Training steps.", DefaultValueFactory = _ => 2000 };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var every = new Option<int>("--every")
        {
            Description = "Print resident memory every N steps.",
            DefaultValueFactory = _ => 100,
        };
        var threads = Threads();
        var command =
            new Command("memory", "Resident memory over a long training run (dense, depth 4, seq 256, batch 8, " +
            "BPE-4096 on Brown).") { steps, dim, every, threads };
        command.SetAction(parse =>
        {
            SetThreads(parse.GetValue(threads));
            var ml = new Microsoft.ML.MLContext(seed: 1);
            var (tokenizer, stream, _) = BrownTokens(ml, 4096);
            var options = new LowRankLmTrainer.Options
            {
                Seed = 1,
                Model = new() { Depth = 4, ModelDim = parse.GetValue(dim), HeadDim = 64, SequenceLength = 256,
                    Variant = LinearVariant.Dense },
                Training = new() { BatchSize = 8, MaxSteps = parse.GetValue(steps), EvalEvery = 0 },
            };
            using var model = Gpt.Create(options.ToConfig(tokenizer.VocabSize), 1);
            var samples = new List<(int Step, long Rss)>();
            var progress = new SynchronousProgress<TrainingProgress>(p => { samples.Add((p.Step,
                ProcessMemory.ResidentBytes())); Console
                .WriteLine(string
                    .Create(Ci, $"step {p.Step}: RSS {samples[^1].Rss / 1048576.0:F0} MB, {p.TokensPerSecond:N0} tokens/s")); });
            TrainingLoop.Train(model, stream, null, tokenizer.BytesPerToken(),
                options.ToTraining(seed: 1) with { ReportEvery = parse.GetValue(every) }, progress);
            var after = samples.Where(s => s.Step >= samples[0].Step * 2).ToList();
            Console.WriteLine(string
                .Create(Ci, $"RSS from step {after[0].Step} to {samples[^1].Step}: {after[0].Rss / 1048576.0:F0} → {samples[^1].Rss / 1048576.0:F0} MB (min {after.Min(s => s.Rss) / 1048576.0:F0}, max {after.Max(s => s.Rss) / 1048576.0:F0})."));
            return 0;
        });
        return command;
    }
}
