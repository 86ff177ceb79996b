// What every phase of the study does with its trials, version 2, 3 or 4: run lists of explicit trials, each list an
// experiment in its own run directory (a re-run skips every finished trial), refuse to go on past a failed one, build a
// trial's parameters from an arm and its learning rates, and choose the best rate from completed records. Several
// processes may walk the same phases at once (one libtorch thread each, the study's two streams on two cores): each
// trial is claimed before it starts, so they split the trials, and a process that has nothing left to claim waits for
// the records of the trials the others hold.
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

/// <summary>Thrown by a read-only batch when a phase's trials have not all finished: what the results page waits
/// for.</summary>
public sealed class PhaseNotFinishedException(string directory, int missing)
    : Exception($"{directory}: {missing} trial(s) not finished yet")
{
    public string Directory { get; } = directory;
    public int Missing { get; } = missing;
}

/// <summary>One list of trials: its run directory, budget and baseline; records from <see cref="Reuse"/> with the same
/// configuration are copied, not trained.</summary>
public sealed record BatchJob(string Directory, string BudgetName, int Steps, LowRankLmTrainer.Options Baseline,
    IReadOnlyList<Dictionary<string, string>> Trials, string[]? Reuse = null)
{
    /// <summary>The job's budget in tokens: its steps of the baseline's batch.</summary>
    public long Tokens => (long)Steps * Baseline.Training.BatchSize * Baseline.Model.SequenceLength;
}

public sealed class TrialBatch(MLContext ml, Func<LowRankExperiment, LowRankExperiment> setDataset, string root,
    Action<string> log, CancellationToken ct)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>A batch over raw documents, tokenized by bytes.</summary>
    public TrialBatch(MLContext ml, IDataView train, IDataView validation, string root, Action<string> log,
        CancellationToken ct)
        : this(ml, e => e.SetDataset(train, validation), root, log, ct) { }

    /// <summary>When true, <see cref="RunAsync"/> trains nothing: it returns the finished records of the requested
    /// trials, or throws <see cref="PhaseNotFinishedException"/> when some are missing (the results page walks the
    /// phases this way).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>How often a process with nothing left to claim looks for the records of trials other processes
    /// hold.</summary>
    public TimeSpan WaitPoll { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="trials"/> for <paramref name="steps"/> steps of <paramref name="baseline"/>'s
    /// batch in <paramref name="directory"/>; records from <paramref name="reuse"/> with the same configuration are
    /// copied, not trained.</summary>
    public async Task<IReadOnlyList<TrialResult>> RunAsync(string directory, string budgetName, int steps,
        LowRankLmTrainer.Options baseline,
        IReadOnlyList<Dictionary<string, string>> trials, string[]? reuse = null) =>
        (await RunAllAsync([new BatchJob(directory, budgetName, steps, baseline, trials, reuse)]))[0];

    /// <summary>Runs every job's trials (each job an experiment in its own directory, in the order given), then waits
    /// for the trials other processes hold; returns each job's records in the order of its trials.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<TrialResult>>> RunAllAsync(IReadOnlyList<BatchJob> jobs)
    {
        if (ReadOnly) return [.. jobs.Select(j => Finished(j))];
        var results = new IReadOnlyList<TrialResult>?[jobs.Count];
        // One experiment per job for the whole call: a poll runs it again, and it keeps its prepared (tokenized) data.
        var experiments = new LowRankExperiment?[jobs.Count];
        bool waited = false;
        while (true)
        {
            for (int i = 0; i < jobs.Count; i++)
            {
                if (results[i] is not null) continue;
                var job = jobs[i];
                experiments[i] ??= Experiment(job, () => waited);
                var records = await experiments[i]!.RunAsync(ct);
                var failed = records.Where(r => r.Status == TrialStatus.Failed && !r.Transient).ToList();
                if (failed.Count > 0)
                    throw new InvalidOperationException($"{job.Directory}: {failed.Count} trial(s) " +
                        $"failed: {failed[0].Error}");
                var found = Match(records, job.Trials);
                if (found.All(r => r is not null)) results[i] = found!;
            }
            // Records other processes wrote meanwhile complete a job as well.
            int missing = 0;
            for (int i = 0; i < jobs.Count; i++)
            {
                if (results[i] is not null) continue;
                var found = Match(new ResultStore(jobs[i].Directory).ReadAll(), jobs[i].Trials);
                if (found.All(r => r is not null)) results[i] = found!; else missing += found.Count(r => r is null);
            }
            if (missing == 0) return results!;
            if (!waited)
                log($"  waiting for {missing} trial(s) that other processes are running (checked " +
                    $"every {WaitPoll.TotalSeconds:0} s).");
            waited = true;
            await Task.Delay(WaitPoll, ct);
        }
    }

    LowRankExperiment Experiment(BatchJob job, Func<bool> waited)
    {
        log($"{Path.GetRelativePath(root, job.Directory)}: {job.Trials.Count} trials at " +
            $"budget {job.BudgetName} ({job.Tokens:N0} tokens, {job.Steps} steps).");
        return Describe(setDataset(ml.LowRank().CreateExperiment()), job)
            .SetMonitor(new SynchronousProgress<ExperimentProgress>(p => { if (p.Result is not null
            && !(p.Skipped && waited())) log("  " + p); }));
    }

    /// <summary>The experiment a job is, without data or monitor: what identifies its run directory.</summary>
    static LowRankExperiment Describe(LowRankExperiment experiment, BatchJob job)
    {
        experiment.SetPipeline(LmTokenizer.Bytes(), job.Baseline)
            .SetSearchSpace(new SearchSpace())
            .SetTrials(job.Trials)
            .SetTrialBudget(tokens: job.Tokens)
            .SetResultDirectory(job.Directory);
        if (job.Reuse is { Length: > 0 }) experiment.SetReuse(job.Reuse);
        return experiment;
    }

    /// <summary>The record of each requested trial (one that has each of the trial's parameters and did not fail), or
    /// null.</summary>
    internal static List<TrialResult?> Match(IEnumerable<TrialResult> records,
        IReadOnlyList<Dictionary<string, string>> trials)
    {
        var usable = records.Where(r => r.Status != TrialStatus.Failed).ToList();
        return [.. trials.Select(t =>
            usable.FirstOrDefault(r => t.All(kv => r.Parameters.GetValueOrDefault(kv.Key) == kv.Value)))];
    }

    /// <summary>The finished record of every requested trial (a record matches when it has each of the trial's
    /// parameters); throws when one is missing, or when the records are not the trials this build would run — the
    /// directory's identity (every key but the data's, which would need the corpus tokenized) or a record's id differs
    /// from what a run would compute, so a run would train them again.</summary>
    IReadOnlyList<TrialResult> Finished(BatchJob job)
    {
        var found = Match(System.IO.Directory.Exists(job.Directory) ? new ResultStore(job.Directory).ReadAll() : [],
            job.Trials);
        int missing = found.Count(r => r is null);
        if (missing > 0) throw new PhaseNotFinishedException(job.Directory, missing);
        var experiment = Describe(ml.LowRank().CreateExperiment().SetTrialRunner(NoTraining.Instance), job);
        var differences = experiment.IdentityDifferences(job.Directory).ToList();
        var planned = experiment.PlanTrials();
        differences.AddRange(found.Zip(planned).Where(p => p.First!.Id != p.Second.Id)
            .Select(p => $"trial {p.Second.Index}: this build names it {p.Second.Id}, its record is {p.First!.Id}"));
        if (differences.Count > 0)
            throw new InvalidOperationException($"{job.Directory}: the records are not the trials this build would " +
                $"run ({string.Join("; ", differences)}); a run would train them again.");
        return found!;
    }

    /// <summary>The runner of an experiment that is only described, never run.</summary>
    sealed class NoTraining : ITrialRunner
    {
        public static readonly NoTraining Instance = new();
        public TrialResult Run(TrialContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A read-only batch trains nothing.");
    }

    /// <summary>The Muon rate of the completed record with the lowest final validation loss.</summary>
    public static double Best(IEnumerable<TrialResult> records) => BestBy(records,
        OptionNames.MatrixLearningRate, _ => true);

    /// <summary>The value of <paramref name="parameter"/> in the completed record with the lowest final validation
    /// loss; a diverged trial never wins.</summary>
    public static double BestBy(IEnumerable<TrialResult> records, string parameter, Func<TrialResult, bool> among) =>
        double.Parse(BestRecord(records, among)?.Parameters[parameter]
            ?? throw new InvalidOperationException($"No completed trial to choose {parameter} from."), Ci);

    /// <summary>The completed record with the lowest final validation loss among <paramref name="among"/>, or
    /// null.</summary>
    public static TrialResult? BestRecord(IEnumerable<TrialResult> records, Func<TrialResult, bool> among) =>
        records.Where(r => r.Status == TrialStatus.Completed && r.CrossEntropy is not null
        && among(r)).MinBy(r => r.CrossEntropy);

    /// <summary>An arm's trial at the given learning rates and seed (<c>Seed</c> = <c>DataSeed</c>: arms paired by
    /// seed).</summary>
    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string> arm, double muon,
        double embedding, double head, int seed) =>
        With(arm, (OptionNames.MatrixLearningRate, StudyDesign.Rate(muon)), (OptionNames.EmbeddingLearningRate,
        StudyDesign.Rate(embedding)),
            (OptionNames.HeadLearningRate, StudyDesign.Rate(head)), (OptionNames.Seed, seed.ToString(Ci)),
        (OptionNames.DataSeed, seed.ToString(Ci)));

    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string> p,
        params (string Key, string Value)[] set)
    {
        var d = new Dictionary<string, string>(p);
        foreach (var (k, v) in set) d[k] = v;
        return d;
    }

    /// <summary>A parameter of a record as a number.</summary>
    public static double Value(TrialResult r, string parameter) => double.Parse(r.Parameters[parameter], Ci);
}
