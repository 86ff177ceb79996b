// docs/study/plan.md in code: the model family, the arms, the budget ladder, the seeds, the learning-rate grids and the
// evaluation settings. A smoke design (a width-32 model on a few documents, tiny budgets) checks the program in a
// minute.
using System.Globalization;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Examples.Study;

/// <summary>One arm: a name and the trial parameters that make it (learning rates and seeds are added per
/// trial).</summary>
public sealed record Arm(string Name, IReadOnlyDictionary<string, string> Parameters, string Description);

public sealed class StudyDesign
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public StudyDesign(bool smoke)
    {
        Smoke = smoke;
        Width = smoke ? 32 : 64;
        HeadDim = smoke ? 16 : 32;
        SequenceLength = smoke ? 64 : 256;
        BatchSize = smoke ? 4 : 16;
        int Scale(int r) => smoke ? Math.Max(1, r / 2) : r;
        (int a, int m) main = (Scale(16), Scale(26));
        Dense = new("dense", Params("Dense", "dense", "dense", 4), "every matrix dense, depth 4");
        LowRank = new("lowrank",
            Params("Factored", main.a, main.m, 4), $"Factored, attention rank {main.a}, MLP rank {main.m}, depth 4");
        Controls =
        [
            new("full-rank-factored",
                Params("Factored", Width, Width, 4), $"Factored at rank {Width} = width (full rank)"),
            new("half-width-factored",
                Params("Factored", Width / 2, Width / 2, 4), $"Factored at rank {Width / 2} = width/2"),
            new("cola", Params("Cola", main.a, main.m, 4), "CoLA at the main arm's ranks"),
            new("attention-only", Params("Factored", main.a, "dense", 4), $"attention rank {main.a}, MLP dense"),
            new("mlp-only", Params("Factored", "dense", main.m, 4), $"MLP rank {main.m}, attention dense"),
        ];
        RankScan =
        [
            new("rank-4", Params("Factored", Scale(4), Scale(6), 4), "rank scan (4, 6)"),
            new("rank-8", Params("Factored", Scale(8), Scale(13), 4), "rank scan (8, 13)"),
            LowRank,
            new("rank-32", Params("Factored", Scale(32), Scale(51), 4), "rank scan (32, 51)"),
        ];
        if (smoke)
        {
            // One control and one extra scan rank exercise every code path at a fraction of the trials.
            Controls = [Controls.Single(a => a.Name == "cola")];
            RankScan = [RankScan[1], LowRank];
        }
        // The deeper low-rank arm: the depth at which the main arm's non-embedding parameters match dense's.
        Iso = Experiments.IsoParameterPlanner.Plan(Config(Dense), Config(LowRank), tolerance: 0.05, maxDepth: 32);
        Deep = new("deep",
            Params("Factored", main.a, main.m, Iso.Depth), $"as lowrank, depth {Iso.Depth}: {Iso.Message}");
        ComputeOptimalTokens = 20 * ModelSummary.For(Config(Dense)).TotalParameters;
        long tokensPerStep = (long)BatchSize * SequenceLength;
        BudgetSteps = smoke ? [2, 4, 6,
            8] : [.. BudgetFractions.Select(f => (int)Math.Round(f * ComputeOptimalTokens / tokensPerStep))];
    }

    public bool Smoke { get; }
    public int Width { get; }
    public int HeadDim { get; }
    public int SequenceLength { get; }
    public int BatchSize { get; }
    public const int VocabSize = 257;   // bytes + BOS

    public Arm Dense { get; }
    public Arm LowRank { get; }
    public Arm Deep { get; }
    /// <summary>How the deep arm's depth was chosen.</summary>
    public Experiments.IsoParameterPlan Iso { get; }
    public IReadOnlyList<Arm> Controls { get; }
    /// <summary>The rank scan; its third point is the main low-rank arm.</summary>
    public IReadOnlyList<Arm> RankScan { get; }

    /// <summary>Every arm whose Muon learning rate is tuned at the middle budget.</summary>
    public IEnumerable<Arm> TunedArms => new[] { Dense, LowRank,
        Deep }.Concat(Controls).Concat(RankScan.Where(a => a != LowRank));

    /// <summary>Arms of the ladder (every budget).</summary>
    public IReadOnlyList<Arm> LadderArms => [Dense, LowRank, Deep];

    public static readonly double[] BudgetFractions = [1.0 / 16, 1.0 / 4, 1, 2];
    public static readonly string[] BudgetNames = ["1/16", "1/4", "1", "2"];
    public const int Middle = 1, Largest = 3;

    /// <summary>20 training tokens per parameter of the dense arm (all parameters counted).</summary>
    public long ComputeOptimalTokens { get; }
    public IReadOnlyList<int> BudgetSteps { get; }
    public long BudgetTokens(int budget) => (long)BudgetSteps[budget] * BatchSize * SequenceLength;

    public const int TuningSeed = 100;
    public IReadOnlyList<int> ReportedSeeds(Arm arm, int budget) =>
        Smoke ? (budget == Largest && arm != Deep ? [1, 2, 3] : [1, 2]) : (budget == Largest && arm != Deep ? [1, 2, 3,
        4, 5] : [1, 2, 3]);

    public IReadOnlyList<double> MuonGrid => Smoke ? [0.01, 0.02, 0.04] : [0.005, 0.01, 0.02, 0.04, 0.08];
    /// <summary>Grid points added beyond an edge at most (3; 1 in a smoke run).</summary>
    public int MaxGridExtensions => Smoke ? 1 : 3;
    public static readonly double[] EmbeddingGrid = [0.1, 0.2, 0.4];
    public static readonly double[] HeadGrid = [0.002, 0.004, 0.008];

    public int EvalTokens => Smoke ? 512 : 16_384;
    public int BootstrapReplicates => Smoke ? 200 : 2000;

    /// <summary>Options shared by every trial at <paramref name="budget"/>; evaluation every 1 % of the steps when
    /// <paramref name="denseEvaluation"/> (reported middle-budget runs: time to threshold), else every 5 %; Muon's
    /// momentum ramp over 5 % of the steps.</summary>
    public LowRankLmTrainer.Options Baseline(int budget,
        bool denseEvaluation) => BaselineFor(BudgetSteps is null ? 1 : BudgetSteps[budget], denseEvaluation);

    /// <summary>As <see cref="Baseline(int, bool)"/> for a run of <paramref name="steps"/> steps (version 3's
    /// budgets).</summary>
    public LowRankLmTrainer.Options BaselineFor(int steps, bool denseEvaluation)
    {
        return new LowRankLmTrainer.Options
        {
            Model = new() { Depth = 4, ModelDim = Width, HeadDim = HeadDim, SequenceLength = SequenceLength,
                Variant = LinearVariant.Dense, AttentionRank = null, MlpRank = null },
            Training = new()
            {
                BatchSize = BatchSize,
                    EvalEvery = Math.Max(1, (int)Math.Round(steps * (denseEvaluation ? 0.01 : 0.05))),
                        EvalTokens = EvalTokens,
                MuonMomentumWarmupSteps = Math.Max(1, (int)Math.Round(steps * 0.05)), ReportEvery = 50,
            },
        };
    }

    /// <summary>The model configuration of an arm (for counts and the planner).</summary>
    public GptConfig Config(Arm arm)
    {
        var o = Experiments.TrialParameters.Apply(Baseline(0, false), arm.Parameters);
        return o.ToConfig(VocabSize);
    }

    public static Dictionary<string, string> Params(string variant, object attention, object mlp, int depth) => new()
    {
        [OptionNames.Variant] = variant,
        [OptionNames.AttentionRank] = Convert.ToString(attention, Ci)!,
        [OptionNames.MlpRank] = Convert.ToString(mlp, Ci)!,
        [OptionNames.Depth] = depth.ToString(Ci),
    };

    public static string Rate(double lr) => lr.ToString("R", Ci);
}
