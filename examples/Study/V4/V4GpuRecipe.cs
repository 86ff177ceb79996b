// Version 4's design at the research plan's own scale (depth 20, width 1024), for whoever has GPUs — not run here: the
// same four arms at the dense arm's parameters (their ranks the same fractions of the width as on the CPU, which match
// the dense blocks exactly at any width), the same budgets (1, 4 and 16 × the dense arm's compute-optimal tokens), seeds
// and rate checks, as sweep specs a job array runs. A seeds spec's Muon rate is a placeholder the sweep refuses until it
// is set to the tuning sweep's choice, so no run starts at a rate nobody chose.
using System.Globalization;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class V4GpuRecipe
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    // Version 2's GPU recipe's model family (nanochat's d20) and assumed throughput.
    const int Depth = GpuRecipe.Depth, Width = GpuRecipe.Width, HeadDim = GpuRecipe.HeadDim, Vocab = GpuRecipe.Vocab,
        Context = GpuRecipe.Context, Batch = GpuRecipe.Batch;
    const double AchievedFlops = GpuRecipe.AchievedFlops;

    /// <summary>What a seeds spec holds until its arm's rate is chosen: not a number, so the sweep refuses it by name.</summary>
    public const string RatePlaceholder = "SET-FROM-TUNE-1X";

    /// <summary>The four arms: name, depth, attention and MLP rank as fractions of the width (null: dense), seeds.</summary>
    static readonly (string Name, int Depth, double? Attention, double? Mlp, bool Core)[] Arms =
    [
        ("dense", Depth, null, null, true),
        ("deep", 2 * Depth, 0.25, 0.4, true),
        ("lowrank-iso", Depth, 0.5, 0.8, false),
        ("deep-80", 4 * Depth, 0.125, 0.2, false),
    ];

    /// <summary>Writes one spec per arm and stage into <paramref name="directory"/> and a README.md there with the
    /// compute table; returns the README's path.</summary>
    public static string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var dense = Config(Arms[0]);
        long denseParameters = ModelSummary.For(dense).TotalParameters;
        long optimal = 20 * denseParameters;
        double[] grid = [0.005, 0.01, 0.02, 0.04, 0.08];
        var lines = new List<string>
        {
            "# Version 4 at GPU scale — not run here",
            "",
            $"Written by `dotnet run --project examples/Study -c Release -- --v4-gpu-recipe`. Version 4's design " +
            $"([plan](../plan.md)) at the research plan's baseline: width {Width}, heads of {HeadDim}, a {Vocab:N0}-token " +
            $"BPE, context {Context:N0}, {Batch} sequences a step, on a corpus of your own. **Nothing here was run**: no " +
            "GPU was available to this project. GPU-hours assume " +
            $"{AchievedFlops / 1e12:F0} TFLOP/s achieved per GPU (40 % of ~50 TFLOP/s float32; the library trains in " +
            "float32).",
            "",
            "| arm | depth | ranks (attention / MLP) | parameters | vs `dense` | training GFLOP/token | runs | GPU-hours |",
            "|---|---:|---|---:|---:|---:|---:|---:|",
        };
        double total = 0;
        foreach (var arm in Arms)
        {
            var config = Config(arm);
            var s = ModelSummary.For(config);
            var specs = new List<(string File, ExperimentSpec Spec, int Runs, long Tokens)>
            {
                ($"{arm.Name}-tune-1x.json", Spec(config, optimal, grid.Select(r => Trial(r.ToString("R", Ci), 100)).ToList()), grid.Length, optimal),
            };
            foreach (int multiple in arm.Core ? new[] { 1, 4, 16 } : [4])
            {
                int seeds = arm.Core ? 5 : 3;
                specs.Add(($"{arm.Name}-seeds-{multiple}x.json",
                    Spec(config, multiple * optimal, [.. Enumerable.Range(1, seeds).Select(seed => Trial(RatePlaceholder, seed))]),
                    seeds, multiple * optimal));
            }
            double hours = 0;
            foreach (var (file, spec, runs, tokens) in specs)
            {
                File.WriteAllText(Path.Combine(directory, file), spec.ToJson());
                hours += runs * s.FlopsPerToken * tokens / AchievedFlops / 3600;
            }
            total += hours;
            string ranks = arm.Attention is null ? "dense" : $"{config.AttentionRankAt(0)} / {config.MlpRankAt(0)}";
            lines.Add($"| `{arm.Name}` | {config.Depth} | {ranks} | {s.TotalParameters:N0} | " +
                $"{100.0 * (s.TotalParameters - denseParameters) / denseParameters:+0.0;−0.0;0.0} % | {s.FlopsPerToken / 1e9:F2} | " +
                $"{specs.Sum(x => x.Runs)} | {hours:N0} |");
        }
        lines.AddRange(
        [
            "",
            $"Compute-optimal budget: 20 × {denseParameters:N0} = {optimal:N0} tokens; in all about {total:N0} GPU-hours " +
            "(the 4 × and 16 × rate checks of the plan, three and one more runs per core arm, come on top).",
            "",
            "Per arm, in this order: `<arm>-tune-1x.json` (the Muon-rate grid at 1 × on the tuning seed); then set " +
            $"`MatrixLearningRate` in every `<arm>-seeds-*.json` to that grid's best rate — the file holds " +
            $"`{RatePlaceholder}` until then, which the sweep refuses before any training — and run the seeds " +
            "(`dense` and `deep` at 1, 4 and 16 × with 5 seeds; the ladder arms at 4 × with 3). With the CUDA build " +
            "(`dotnet build tools/lowrank -c Release -p:TorchBackend=cuda`) and a shared run directory per spec:",
            "",
            "```bash",
            "lowrank sweep --config deep-tune-1x.json --run-dir /shared/runs/deep-tune-1x --emit-sbatch deep-tune.sbatch --tasks 5",
            "sbatch deep-tune.sbatch",
            "```",
            "",
            "Judge the runs by the plan's rules (equivalence margin ±0.01 nats per byte, two one-sided tests, at equal " +
            "tokens and at equal FLOPs); the margin was set against this machine's seed noise and may need setting " +
            "again at this scale before the runs, not after.",
        ]);
        string readme = Path.Combine(directory, "README.md");
        File.WriteAllText(readme, string.Join('\n', lines) + "\n");
        return readme;
    }

    static GptConfig Config((string Name, int Depth, double? Attention, double? Mlp, bool Core) arm) => new()
    {
        VocabSize = Vocab,
        Depth = arm.Depth,
        ModelDim = Width,
        HeadDim = HeadDim,
        SequenceLength = Context,
        Variant = arm.Attention is null ? LinearVariant.Dense : LinearVariant.Factored,
        AttentionRank = arm.Attention is double a ? (int)Math.Round(a * Width) : null,
        MlpRank = arm.Mlp is double m ? (int)Math.Round(m * Width) : null,
    };

    static Dictionary<string, string> Trial(string rate, int seed) => new()
    {
        [OptionNames.MatrixLearningRate] = rate,
        [OptionNames.Seed] = seed.ToString(Ci),
        [OptionNames.DataSeed] = seed.ToString(Ci),
    };

    static ExperimentSpec Spec(GptConfig config, long tokens, IReadOnlyList<Dictionary<string, string>> trials)
    {
        var spec = new ExperimentSpec
        {
            Corpus = "/shared/corpus/train.jsonl.gz",
            Tokenizer = $"bpe:{Vocab}",
            ValidationFraction = 0.01,
            TrialBudget = new TrialBudget(tokens: tokens),
            Trials = trials,
        };
        spec.Baseline.Model = config;
        spec.Baseline.Training = spec.Baseline.Training with { BatchSize = Batch, EvalEvery = 500, EvalTokens = 1_048_576 };
        return spec;
    }
}
