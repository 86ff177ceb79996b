// What the study trains: the shared baseline options and budget, the two reference arms (dense, and attention rank
// 32 / MLP rank 64), and each section's trial list. Schedules and deeper models are sized here to equal parameters.
using System.Globalization;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public sealed class StudyPlan(long tokensPerTrial, bool smoke = false)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>BPE trained on the training split; one tokenizer for every arm.</summary>
    public const int VocabSize = 4096;

    /// <summary>Muon learning rates tried for each arm (the library default is 0.02).</summary>
    public static readonly string[] LearningRates = ["0.01", "0.02", "0.04", "0.08", "0.16"];

    /// <summary>Ranks of the rank scans; "dense" is the full-rank end of each scan.</summary>
    public static readonly int[] Ranks = [8, 16, 32, 64, 128];

    /// <summary>The full-rank arm.</summary>
    public static readonly IReadOnlyDictionary<string, string> Dense =
        new Dictionary<string, string> { ["Variant"] = "Dense", ["AttentionRank"] = "dense", ["MlpRank"] = "dense" };

    /// <summary>The low-rank arm: every block matrix factored, attention rank 32, MLP rank 64 (of 256 / 256×1024).</summary>
    public static readonly IReadOnlyDictionary<string, string> LowRank =
        new Dictionary<string, string> { ["Variant"] = "Factored", ["AttentionRank"] = "32", ["MlpRank"] = "64" };

    /// <summary>Per-trial training tokens (every comparison is at equal tokens).</summary>
    public long TokensPerTrial { get; } = tokensPerTrial;

    /// <summary>Options every trial starts from: depth 4, width 256, 4 heads of 64, context 256, batch 8, dense, evaluation
    /// of 16,384 validation tokens every 24 steps for time to perplexity 300, seed 1.</summary>
    /// <summary>A smoke run (width 64, context 64) checks the whole program in a couple of minutes.</summary>
    public LowRankLmTrainer.Options Baseline { get; } = new()
    {
        Depth = 4, ModelDim = smoke ? 64 : 256, HeadDim = smoke ? 32 : 64, SequenceLength = smoke ? 64 : 256, BatchSize = 8,
        Variant = LinearVariant.Dense, AttentionRank = null, MlpRank = null,
        EvalEvery = smoke ? 2 : 24, EvalTokens = smoke ? 1_024 : 16_384, ThresholdPerplexity = 300, Seed = 1,
    };

    public Section LearningRateScan(string name, IReadOnlyDictionary<string, string> arm, IReadOnlyList<string> rates, bool extension = false) => new(name,
        extension ? $"Learning-rate scan, {Describe(arm)}: extended to {rates[0]}" : $"Learning-rate scan, {Describe(arm)}",
        extension ? "The best rate so far was at the edge of the grid, so the grid goes one step further."
            : "Which Muon learning rate suits this arm? Every later section uses each arm's winner.",
        [.. rates.Select(lr => With(arm, ("MatrixLearningRate", lr)))]);

    /// <summary>The Muon learning rate of the lowest-perplexity completed trial of these learning-rate scans.</summary>
    public static string BestLearningRate(IEnumerable<SectionResult> scans) =>
        scans.SelectMany(s => s.Trials).Where(t => t.Status == TrialStatus.Completed && t.Perplexity is not null).MinBy(t => t.Perplexity)?.Parameters["MatrixLearningRate"]
        ?? throw new InvalidOperationException($"No trial of {string.Join(", ", scans.Select(s => s.Directory))} completed; look at its trial records' errors.");

    /// <summary>The sections after the learning-rate scans. Any model with a factored layer uses the low-rank arm's
    /// learning rate; dense models the dense arm's.</summary>
    public IEnumerable<Section> Sections(string denseLr, string lowRankLr, Action<string> log)
    {
        var dense = With(Dense, ("MatrixLearningRate", denseLr));
        var lowRank = With(LowRank, ("MatrixLearningRate", lowRankLr));
        IReadOnlyDictionary<string, string> Factored(string attention, string mlp) =>
            With(Dense, ("Variant", "Factored"), ("AttentionRank", attention), ("MlpRank", mlp), ("MatrixLearningRate", lowRankLr));

        yield return new Section("rank-attention", "Attention rank alone (MLP dense)",
            "What does factorizing only the attention projections cost?",
            [dense, .. Ranks.Select(r => Factored(Str(r), "dense"))]);
        yield return new Section("rank-mlp", "MLP rank alone (attention dense)",
            "What does factorizing only the MLP cost?",
            [dense, .. Ranks.Select(r => Factored("dense", Str(r)))]);
        yield return new Section("rank-both", "Attention and MLP at the same rank",
            "What does factorizing every block matrix cost?",
            [dense, .. Ranks.Select(r => Factored(Str(r), Str(r)))]);
        yield return new Section("variants", "Variants, initialization and optimizer at attention 32 / MLP 64",
            "Do the parametrisation, the factor initialization or the optimizer matter at one rank?",
            [lowRank, With(lowRank, ("Variant", "FactoredDiagonal")), With(lowRank, ("Variant", "Cola")), With(lowRank, ("Init", "Spectral")),
             With(lowRank, ("Optimizer", "AdamW")), dense, With(dense, ("Optimizer", "AdamW"))],
            "AdamW arms use the library's AdamW matrix learning rate (0.003), not tuned here.");
        yield return DepthVsRank(dense, lowRank, lowRankLr, log);
        yield return Schedules(lowRank, log);
        yield return new Section("seeds", "Seed repeats of both reference arms",
            "How much does perplexity move between seeds (the noise band the verdicts use)?",
            [dense, With(dense, ("Seed", "2")), With(dense, ("Seed", "3")), lowRank, With(lowRank, ("Seed", "2")), With(lowRank, ("Seed", "3"))]);
    }

    Section DepthVsRank(IReadOnlyDictionary<string, string> dense, IReadOnlyDictionary<string, string> lowRank, string lowRankLr, Action<string> log)
    {
        var trials = new List<IReadOnlyDictionary<string, string>> { dense };
        var notes = new List<string>();
        foreach (var (attention, mlp) in new[] { ("32", "64"), ("64", "128") })
        {
            var arm = With(Dense, ("Variant", "Factored"), ("AttentionRank", attention), ("MlpRank", mlp), ("MatrixLearningRate", lowRankLr));
            IsoParameterPlan isoPlan;
            try { isoPlan = IsoParameterPlanner.Plan(ConfigOf(dense), ConfigOf(arm), tolerance: 0.05); }
            catch (ArgumentException e) { log($"Attention {attention} / MLP {mlp}: not planned ({e.Message})"); continue; }
            string line = $"Attention {attention} / MLP {mlp}: {isoPlan.Message}";
            log(line);
            notes.Add(line);
            if (isoPlan.WithinTolerance) trials.Add(isoPlan.Trials(dense, arm)[1]);
        }
        return new Section("depth", "Depth vs rank at equal non-embedding parameters",
            "Does a deeper low-rank model with the baseline's parameter count match or beat it?", trials, string.Join(" ", notes));
    }

    Section Schedules(IReadOnlyDictionary<string, string> constant, Action<string> log)
    {
        var target = ModelSummary.For(ConfigOf(constant));
        var trials = new List<IReadOnlyDictionary<string, string>> { constant };
        // Each shape spans a factor of 3 between its ends; its scale is chosen so attention and MLP parameters each
        // match the constant arm's (ranks are rounded per block, so "equal" is to within a block's rounding).
        foreach (var (kind, increasing) in new[] { ("Linear", true), ("Linear", false), ("Step", true), ("Exponential", true), ("NegativeQuadratic", true) })
        {
            string attention = Fit(kind, increasing, constant, target.AttentionParameters, s => s.AttentionParameters, "AttentionRank");
            string mlp = Fit(kind, increasing, constant, target.MlpParameters, s => s.MlpParameters, "MlpRank");
            trials.Add(With(constant, ("AttentionRank", attention), ("MlpRank", mlp)));
        }
        foreach (var t in trials.Skip(1))
            log($"Schedule {t["AttentionRank"]} / {t["MlpRank"]}: {ModelSummary.For(ConfigOf(t)).NonEmbeddingParameters:N0} non-embedding parameters vs constant {target.NonEmbeddingParameters:N0}.");
        return new Section("schedules", "Per-layer rank schedules at equal total parameters",
            "Does spending the same parameters unevenly across depth help?", trials,
            "Every schedule spans a factor of 3 between its smallest and largest rank; increasing with depth unless marked reversed (Linear:high:low).");
    }

    string Fit(string kind, bool increasing, IReadOnlyDictionary<string, string> constant, long target, Func<ModelSummary, long> count, string option)
    {
        string best = "";
        long bestGap = long.MaxValue;
        for (double low = 1; low <= 85; low += 0.25)
        {
            double high = 3 * low;
            string value = increasing ? $"{kind}:{Str(low)}:{Str(high)}" : $"{kind}:{Str(high)}:{Str(low)}";
            long gap;
            try { gap = Math.Abs(count(ModelSummary.For(ConfigOf(With(constant, (option, value))))) - target); }
            catch (ArgumentException) { continue; } // a rank above the layer's limit
            if (gap < bestGap) (best, bestGap) = (value, gap);
        }
        return best;
    }

    GptConfig ConfigOf(IReadOnlyDictionary<string, string> parameters) => TrialParameters.Apply(Baseline, parameters).ToConfig(VocabSize);

    /// <summary>"Dense" / "Factored, attention 32, MLP 64".</summary>
    public static string Describe(IReadOnlyDictionary<string, string> p) =>
        p.GetValueOrDefault("Variant") == "Dense" ? "dense" : $"{p.GetValueOrDefault("Variant")}, attention rank {p.GetValueOrDefault("AttentionRank")}, MLP rank {p.GetValueOrDefault("MlpRank")}";

    static IReadOnlyDictionary<string, string> With(IReadOnlyDictionary<string, string> p, params (string Key, string Value)[] changes)
    {
        var d = new Dictionary<string, string>(p);
        foreach (var (k, v) in changes) d[k] = v;
        return d;
    }

    static string Str(double v) => v.ToString("0.##", Ci);
}
