// What every phase of the study does with its trials, version 2 or 3: run a list of explicit trials as one experiment in
// its own run directory (a re-run skips every finished trial), refuse to go on past a failed one, build a trial's
// parameters from an arm and its learning rates, and choose the best rate from completed records.
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

/// <summary>Thrown by a read-only batch when a phase's trials have not all finished: what the results page waits for.</summary>
public sealed class PhaseNotFinishedException(string directory, int missing)
    : Exception($"{directory}: {missing} trial(s) not finished yet")
{
    public string Directory { get; } = directory;
    public int Missing { get; } = missing;
}

public sealed class TrialBatch(MLContext ml, IDataView train, IDataView validation, string root, Action<string> log, CancellationToken ct)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>When true, <see cref="RunAsync"/> trains nothing: it returns the finished records of the requested trials,
    /// or throws <see cref="PhaseNotFinishedException"/> when some are missing (the results page walks the phases this way).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Runs <paramref name="trials"/> for <paramref name="steps"/> steps of <paramref name="baseline"/>'s batch in
    /// <paramref name="directory"/>; records from <paramref name="reuse"/> with the same configuration are copied, not trained.</summary>
    public async Task<IReadOnlyList<TrialResult>> RunAsync(string directory, string budgetName, int steps, LowRankLmTrainer.Options baseline,
        IReadOnlyList<Dictionary<string, string>> trials, string[]? reuse = null)
    {
        long tokens = (long)steps * baseline.Training.BatchSize * baseline.Model.SequenceLength;
        if (ReadOnly) return Finished(directory, trials);
        log($"{Path.GetRelativePath(root, directory)}: {trials.Count} trials at budget {budgetName} ({tokens:N0} tokens, {steps} steps).");
        var experiment = ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), baseline)
            .SetDataset(train, validation)
            .SetSearchSpace(new SearchSpace())
            .SetTrials(trials)
            .SetTrialBudget(tokens: tokens)
            .SetResultDirectory(directory)
            .SetMonitor(new Progress(p => { if (p.Result is not null) log("  " + p); }));
        if (reuse is { Length: > 0 }) experiment.SetReuse(reuse);
        var records = await experiment.RunAsync(ct);
        var failed = records.Where(r => r.Status == TrialStatus.Failed).ToList();
        if (failed.Count > 0) throw new InvalidOperationException($"{directory}: {failed.Count} trial(s) failed: {failed[0].Error}");
        return records;
    }

    /// <summary>The finished record of every requested trial (a record matches when it has each of the trial's
    /// parameters); throws when one is missing.</summary>
    static IReadOnlyList<TrialResult> Finished(string directory, IReadOnlyList<Dictionary<string, string>> trials)
    {
        var records = System.IO.Directory.Exists(directory) ? new ResultStore(directory).ReadAll() : [];
        var found = trials.Select(t => records.FirstOrDefault(r => r.Status != TrialStatus.Failed && t.All(kv => r.Parameters.GetValueOrDefault(kv.Key) == kv.Value))).ToList();
        int missing = found.Count(r => r is null);
        if (missing > 0) throw new PhaseNotFinishedException(directory, missing);
        return found!;
    }

    /// <summary>The Muon rate of the completed record with the lowest final validation loss.</summary>
    public static double Best(IEnumerable<TrialResult> records) => BestBy(records, "MatrixLearningRate", _ => true);

    /// <summary>The value of <paramref name="parameter"/> in the completed record with the lowest final validation loss;
    /// a diverged trial never wins.</summary>
    public static double BestBy(IEnumerable<TrialResult> records, string parameter, Func<TrialResult, bool> among) =>
        double.Parse(BestRecord(records, among)?.Parameters[parameter]
            ?? throw new InvalidOperationException($"No completed trial to choose {parameter} from."), Ci);

    /// <summary>The completed record with the lowest final validation loss among <paramref name="among"/>, or null.</summary>
    public static TrialResult? BestRecord(IEnumerable<TrialResult> records, Func<TrialResult, bool> among) =>
        records.Where(r => r.Status == TrialStatus.Completed && r.CrossEntropy is not null && among(r)).MinBy(r => r.CrossEntropy);

    /// <summary>An arm's trial at the given learning rates and seed (<c>Seed</c> = <c>DataSeed</c>: arms paired by seed).</summary>
    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string> arm, double muon, double embedding, double head, int seed) =>
        With(arm, ("MatrixLearningRate", StudyDesign.Rate(muon)), ("EmbeddingLearningRate", StudyDesign.Rate(embedding)),
            ("HeadLearningRate", StudyDesign.Rate(head)), ("Seed", seed.ToString(Ci)), ("DataSeed", seed.ToString(Ci)));

    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string> p, params (string Key, string Value)[] set)
    {
        var d = new Dictionary<string, string>(p);
        foreach (var (k, v) in set) d[k] = v;
        return d;
    }

    /// <summary>A parameter of a record as a number.</summary>
    public static double Value(TrialResult r, string parameter) => double.Parse(r.Parameters[parameter], Ci);

    sealed class Progress(Action<ExperimentProgress> report) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => report(value);
    }
}
