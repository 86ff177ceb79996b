// A GPU-scale recipe for the research plan's own baseline (depth 20, width 1024), marked as not run here: sweep configs
// for the dense, low-rank and iso-parameter deep arms on a corpus of the user's, with FLOPs per token, compute-optimal
// tokens and GPU-hours at a stated throughput, to run as a Slurm array of the CUDA build.
using System.Globalization;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public static class GpuRecipe
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    // nanochat's d20: width 1024, heads of 128; a 32,768-token BPE; context 2,048; 32 sequences a step (version 4's
    // recipe uses the same family).
    internal const int Depth = 20, Width = 1024, HeadDim = 128, Vocab = 32_768, Context = 2_048, Batch = 32;
    /// <summary>Achieved float32 FLOP/s assumed per GPU: 40 % of ~50 TFLOP/s (the library trains in float32; TorchSharp
    /// has no autocast), i.e. 20 TFLOP/s.</summary>
    internal const double AchievedFlops = 20e12;

    public static void Write(Action<string> Line, string directory)
    {
        var dense = new GptConfig
        {
            VocabSize = Vocab,
            Depth = Depth,
            ModelDim = Width,
            HeadDim = HeadDim,
            SequenceLength = Context,
            Variant = LinearVariant.Dense,
        };
        var lowRank = dense with { Variant = LinearVariant.Factored, AttentionRank = Width / 4,
            MlpRank = (int)Math.Round(0.4 * Width) };
        var iso = IsoParameterPlanner.Plan(dense, lowRank, tolerance: 0.05, maxDepth: 80);
        var deep = lowRank with { Depth = iso.Depth };
        long optimal = 20 * ModelSummary.For(dense).TotalParameters;
        Directory.CreateDirectory(directory);

        Line("## GPU-scale recipe — not run here");
        Line("");
        Line($"The research plan's baseline (depth {Depth}, width {Width}) on a corpus of your own, as three sweeps " +
            $"— `dense`, `lowrank` (attention rank {Width / 4}, MLP rank {(int)Math.Round(0.4 * Width)}: half the " +
            $"block parameters) and `deep` ({iso.Message}) — each over 3 seeds and a Muon learning-rate grid, at the " +
            $"dense arm's compute-optimal budget. " +
             $"**Nothing here was run**: no GPU was available to this project. GPU-hours " +
            $"assume {AchievedFlops / 1e12:F0} TFLOP/s achieved per GPU (40 % MFU of ~50 TFLOP/s float32; the " +
            $"library trains in float32).");
        Line("");
        Line("| arm | parameters | training GFLOP/token | tokens (20 × dense parameters) | GPU-hours per run | runs " +
            "(3 seeds × 5 rates) | GPU-hours |");
        Line("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, config) in new[] { ("dense", dense), ("lowrank", lowRank), ("deep", deep) })
        {
            var s = ModelSummary.For(config);
            double hours = s.FlopsPerToken * optimal / AchievedFlops / 3600;
            Line($"| `{name}` | {s.TotalParameters:N0} | {s.FlopsPerToken / 1e9:F2} | {optimal:N0} | {hours:N0} | 15 " +
                $"| {15 * hours:N0} |");
            File.WriteAllText(Path.Combine(directory, $"{name}.json"), Spec(config).ToJson());
        }
        Line("");
        Line($"Configs: [study/gpu-recipe/]({Path.GetFileName(Path.GetDirectoryName(directory))}/{Path.GetFileName(directory)}/). On a cluster, with the CUDA build (`dotnet build tools/lowrank -c Release -p:TorchBackend=cuda`) and a shared run directory per arm:");
        Line("");
        Line("```bash");
        Line("for arm in dense lowrank deep; do");
        Line("  dotnet tools/lowrank/bin/Release/net10.0/lowrank.dll sweep --config docs/study/gpu-recipe/$arm.json " +
            "--run-dir /shared/runs/$arm \\");
        Line("    --emit-sbatch $arm.sbatch --tasks 15 --time-per-task 48:00:00 --mem-gb 64 --cpus-per-task 8 && " +
            "sbatch $arm.sbatch");
        Line("done");
        Line("```");
        Line("");
        Line("Add a `#SBATCH --gres=gpu:1` line for your cluster. Then the same analysis as here: a ladder of " +
            "budgets (repeat with `trialTokens` at 1/16 and 1/4 of the value) and the plateau fit.");
        Line("");
    }

    /// <summary>One arm's sweep: the model, the batch, evaluation and a seed × Muon-rate grid at the dense arm's
    /// compute-optimal tokens, written through the experiment spec like any sweep config.</summary>
    static ExperimentSpec Spec(GptConfig c)
    {
        long tokens = 20 * ModelSummary.For(c with { Variant = LinearVariant.Dense, AttentionRank = null,
            MlpRank = null, Depth = Depth }).TotalParameters;
        var spec = new ExperimentSpec
        {
            Corpus = "/shared/corpus/train.jsonl.gz", Tokenizer = $"bpe:{Vocab}", ValidationFraction = 0.01,
            Tuner = "grid", TrialBudget = new TrialBudget(tokens: tokens),
        };
        spec.Baseline.Model = c;
        spec.Baseline.Training = spec.Baseline.Training with { BatchSize = Batch, EvalEvery = 500,
            EvalTokens = 1_048_576 };
        spec.SearchSpace.Add(OptionNames.Seed, 1, 2, 3).Add(nameof(Training.TrainingOptions.MatrixLearningRate), 0.005,
            0.01, 0.02, 0.04, 0.08);
        return spec;
    }
}
