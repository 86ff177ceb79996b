// The study's run order (docs/study/plan.md): Muon learning-rate grids per arm at the middle budget on the tuning seed
// (extended while the best is at an edge), the embedding and head rates on the dense arm, the largest-budget
// confirmation for dense and low-rank, then the reported seeds of every arm at every budget. Each step is an experiment
// in its own run directory, so a re-run skips every finished trial.
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Experiments;
using static MLNet.LowRank.Examples.Study.TrialBatch;

namespace MLNet.LowRank.Examples.Study;

/// <summary>Learning rates chosen on the tuning seed.</summary>
public sealed record Choices(IReadOnlyDictionary<string, double> Muon, double Embedding, double Head,
    IReadOnlyDictionary<string, double> LargestBudgetMuon)
{
    /// <summary>The Muon rate of <paramref name="arm"/> at <paramref name="budget"/>: the largest-budget confirmation's
    /// choice from budget 1 up where there is one, else the middle-budget choice.</summary>
    public double MuonFor(Arm arm, int budget) =>
        budget >= 2 && LargestBudgetMuon.TryGetValue(arm.Name, out double lr) ? lr : Muon[arm.Name];
}

public sealed class Phases(TrialBatch batch, StudyDesign design, string root, Action<string> log)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Phases that train on <paramref name="train"/> and validate on <paramref name="validation"/>.</summary>
    public Phases(MLContext ml, IDataView train, IDataView validation, StudyDesign design, string root,
        Action<string> log, CancellationToken ct)
        : this(new TrialBatch(ml, train, validation, root, log, ct), design, root, log) { }

    /// <summary>Phases that only read the records (no data): what the results pages walk.</summary>
    public static Phases ReadOnly(MLContext ml, StudyDesign design, string root, CancellationToken ct) =>
        new(new TrialBatch(ml, e => e, root, _ => { }, ct) { ReadOnly = true }, design, root, _ => { });

    public string TuneDirectory(Arm arm, int extension = 0) => Path.Combine(root, "tune",
        extension == 0 ? arm.Name : $"{arm.Name}-x{extension}");
    public string EmbeddingHeadDirectory => Path.Combine(root, "tune", "dense-embedding-head");
    public string ConfirmDirectory(Arm arm) => Path.Combine(root, "confirm", arm.Name);
    public string ReportedDirectory(int budget) => Path.Combine(root, "reported", $"budget-{budget}");

    public async Task<Choices> TuneAsync()
    {
        var muon = new Dictionary<string, double>();
        foreach (var arm in design.TunedArms)
            muon[arm.Name] = await TuneMuonAsync(arm);
        log($"Middle-budget Muon rates: {string.Join(", ", muon.Select(kv => $"{kv.Key} {StudyDesign.Rate(kv.Value)}"))}");

        // Embedding and head on the dense arm at its Muon rate; the defaults' trial is the grid's best, copied.
        var dense = With(design.Dense.Parameters, muon["dense"], 0.2, 0.004, StudyDesign.TuningSeed);
        var trials = StudyDesign.EmbeddingGrid.Select(e => With(dense, (OptionNames.EmbeddingLearningRate,
            StudyDesign.Rate(e))))
            .Concat(StudyDesign.HeadGrid.Where(h => h != 0.004).Select(h => With(dense, (OptionNames.HeadLearningRate,
            StudyDesign.Rate(h))))).ToList();
        var records = await RunAsync(EmbeddingHeadDirectory, StudyDesign.Middle, denseEvaluation: false, trials,
            reuse: [TuneDirectory(design.Dense)]);
        double embedding = BestBy(records,
            OptionNames.EmbeddingLearningRate, r => r.Parameters[OptionNames.HeadLearningRate] == "0.004");
        double head = BestBy(records,
            OptionNames.HeadLearningRate, r => r.Parameters[OptionNames.EmbeddingLearningRate] == "0.2");
        log($"Embedding rate {StudyDesign.Rate(embedding)}, head rate {StudyDesign.Rate(head)} (defaults 0.2, 0.004).");

        // Largest budget: the chosen rate and its two grid neighbours, for dense and low-rank.
        var largest = new Dictionary<string, double>();
        foreach (var arm in new[] { design.Dense, design.LowRank })
        {
            double chosen = muon[arm.Name];
            var rates = new[] { chosen / 2, chosen, chosen * 2 };
            var confirm = await RunAsync(ConfirmDirectory(arm), StudyDesign.Largest, false,
                rates.Select(lr => With(arm.Parameters, lr, embedding, head, StudyDesign.TuningSeed)).ToList());
            largest[arm.Name] = Best(confirm);
            log($"{arm.Name}: largest-budget Muon rate {StudyDesign.Rate(largest[arm.Name])} (middle-budget " +
                $"choice {StudyDesign.Rate(chosen)}).");
        }
        return new Choices(muon, embedding, head, largest);
    }

    /// <summary>The grid at the middle budget on the tuning seed; while the best point is at an edge, one more point
    /// beyond it (its own run directory), up to <see cref="StudyDesign.MaxGridExtensions"/> times.</summary>
    async Task<double> TuneMuonAsync(Arm arm)
    {
        var records = (await RunAsync(TuneDirectory(arm), StudyDesign.Middle, false,
            design.MuonGrid.Select(lr => With(arm.Parameters, lr, 0.2, 0.004,
            StudyDesign.TuningSeed)).ToList())).ToList();
        for (int extension = 1; extension <= design.MaxGridExtensions; extension++)
        {
            var tried = records.Select(r => double.Parse(r.Parameters[OptionNames.MatrixLearningRate], Ci)).ToList();
            double best = Best(records);
            double? next = best == tried.Min() ? best / 2 : best == tried.Max() ? best * 2 : null;
            if (next is not double rate) break;
            log($"{arm.Name}: best Muon rate {StudyDesign.Rate(best)} is at the edge of the grid; " +
                $"trying {StudyDesign.Rate(rate)}.");
            records.AddRange(await RunAsync(TuneDirectory(arm, extension), StudyDesign.Middle, false,
                [With(arm.Parameters, rate, 0.2, 0.004, StudyDesign.TuningSeed)]));
        }
        return Best(records);
    }

    /// <summary>Every arm's reported seeds at every budget, cheapest budget first.</summary>
    public async Task<IReadOnlyList<TrialResult>> ReportedAsync(Choices c)
    {
        var all = new List<TrialResult>();
        for (int budget = 0; budget < design.BudgetSteps.Count; budget++)
        {
            var arms = budget == StudyDesign.Middle
                ? design.LadderArms.Concat(design.Controls).Concat(design.RankScan.Where(a => a != design.LowRank))
                : design.LadderArms;
            var trials = arms.SelectMany(arm => design.ReportedSeeds(arm,
                budget).Select(seed => With(arm.Parameters, c.MuonFor(arm, budget), c.Embedding, c.Head,
                seed))).ToList();
            all.AddRange(await RunAsync(ReportedDirectory(budget), budget,
                denseEvaluation: budget == StudyDesign.Middle, trials));
        }
        return all;
    }

    Task<IReadOnlyList<TrialResult>> RunAsync(string directory, int budget, bool denseEvaluation,
        IReadOnlyList<Dictionary<string, string>> trials, string[]? reuse = null) =>
        batch.RunAsync(directory, StudyDesign.BudgetNames[budget], design.BudgetSteps[budget],
        design.Baseline(budget, denseEvaluation), trials, reuse);
}
