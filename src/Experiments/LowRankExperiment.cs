// The sweep API, shaped like ML.NET AutoML's AutoMLExperiment: set the pipeline, the dataset, the search space, the
// tuner, budgets and a result directory, then RunAsync. Trials run one after another in this process (each uses every
// core); a batch-job array runs shards of the same trial list in separate processes over one run directory.
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

/// <summary>A sweep over trainer options. Create with <c>mlContext.LowRank().CreateExperiment()</c>.</summary>
public sealed class LowRankExperiment
{
    readonly MLContext ml;
    LmTokenizerFactory? tokenizer;
    string textColumn = "Text";
    LowRankLmTrainer.Options? baseline;
    IDataView? train, validation;
    SearchSpace space = new();
    ITuner? tuner;
    int? trialSteps;
    long? trialTokens;
    double? trialSeconds;
    TimeSpan? experimentBudget;
    string? directory;
    int shardIndex, shardCount = 1;
    IProgress<ExperimentProgress>? monitor;
    string[] reuseDirectories = [];

    internal LowRankExperiment(MLContext ml) => this.ml = ml;

    /// <summary>The tokenizer (trained once on the training set, shared by every trial) and the trainer options every
    /// trial starts from.</summary>
    public LowRankExperiment SetPipeline(LmTokenizerFactory tokenizer, LowRankLmTrainer.Options baseline, string textColumn = "Text")
    {
        this.tokenizer = tokenizer;
        this.baseline = baseline;
        this.textColumn = textColumn;
        return this;
    }

    /// <summary>Raw training and validation documents (a text column).</summary>
    public LowRankExperiment SetDataset(IDataView train, IDataView validation)
    {
        this.train = train;
        this.validation = validation;
        return this;
    }

    /// <summary>The parameters to vary.</summary>
    public LowRankExperiment SetSearchSpace(SearchSpace searchSpace)
    {
        space = searchSpace;
        return this;
    }

    /// <summary>Every combination.</summary>
    public LowRankExperiment SetGridSearch() => SetTuner(Tuners.Grid());

    /// <summary><paramref name="trials"/> seeded random draws.</summary>
    public LowRankExperiment SetRandomSearch(int trials, int seed = 0) => SetTuner(Tuners.Random(trials, seed));

    /// <summary>The baseline, then one parameter at a time.</summary>
    public LowRankExperiment SetOneAtATimeScan(IReadOnlyDictionary<string, string>? baseline = null) => SetTuner(Tuners.OneAtATime(baseline));

    /// <summary>Exactly these trials (for example an iso-parameter plan's).</summary>
    public LowRankExperiment SetTrials(IEnumerable<IReadOnlyDictionary<string, string>> trials) => SetTuner(Tuners.Explicit(trials));

    /// <summary>Any tuner.</summary>
    public LowRankExperiment SetTuner(ITuner t)
    {
        tuner = t;
        return this;
    }

    /// <summary>The budget of each trial (overrides the baseline's).</summary>
    public LowRankExperiment SetTrialBudget(int? steps = null, long? tokens = null, double? seconds = null)
    {
        if (steps is null && tokens is null && seconds is null) throw new ArgumentException("SetTrialBudget: give steps, tokens or seconds.");
        (trialSteps, trialTokens, trialSeconds) = (steps, tokens, seconds);
        return this;
    }

    /// <summary>No trial starts after this much wall-clock.</summary>
    public LowRankExperiment SetExperimentBudget(TimeSpan budget)
    {
        experimentBudget = budget;
        return this;
    }

    /// <summary>Where trial records, summaries and the report go; re-running resumes there.</summary>
    public LowRankExperiment SetResultDirectory(string path)
    {
        directory = path;
        return this;
    }

    /// <summary>Run only trials with index % <paramref name="count"/> == <paramref name="index"/> (one task of a job array).</summary>
    public LowRankExperiment SetShard(int index, int count)
    {
        if (count < 1 || index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"Shard {index}/{count}: need 0 ≤ index < count.");
        (shardIndex, shardCount) = (index, count);
        return this;
    }

    /// <summary>Copies, instead of re-running, any trial whose complete configuration already finished in one of these
    /// run directories under the same tokenizer, text column, per-trial budget and threshold (a study's sections share
    /// their baselines this way). The copy names its source in <see cref="TrialResult.CopiedFrom"/>. The caller vouches
    /// that those runs used the same dataset.</summary>
    public LowRankExperiment SetReuse(params string[] runDirectories)
    {
        reuseDirectories = runDirectories;
        return this;
    }

    /// <summary>Receives an event as each trial starts and ends.</summary>
    public LowRankExperiment SetMonitor(IProgress<ExperimentProgress> progress)
    {
        monitor = progress;
        return this;
    }

    /// <summary>The trials the tuner chooses, with their file ids, in run order (all shards).</summary>
    public IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> PlanTrials()
    {
        var t = tuner ?? throw new InvalidOperationException("Set a tuner first: SetGridSearch, SetRandomSearch, SetOneAtATimeScan or SetTrials.");
        var trials = t.Trials(space);
        foreach (var p in trials)
            foreach (var name in p.Keys)
                if (!TrialParameters.IsKnown(name))
                    throw new ArgumentException($"Trial parameter '{name}' is unknown{Suggest.Closest(name, TrialParameters.Names)}.");
        return trials.Select((p, i) => (i, TrialKey.FileId(i, p), p)).ToList();
    }

    /// <summary>What identifies this experiment in its run directory.</summary>
    public IReadOnlyDictionary<string, string> Fingerprint()
    {
        var b = Budgeted();
        var f = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["tokenizer"] = tokenizer?.Name ?? "",
            ["textColumn"] = textColumn,
            ["tuner"] = tuner?.Describe() ?? "",
            ["searchSpace"] = space.ToString(),
            ["trialBudget"] = $"steps={b.MaxSteps} tokens={b.MaxTokens} seconds={b.MaxSeconds}",
            ["threshold"] = b.ThresholdPerplexity?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
        foreach (var (k, v) in TrialParameters.Describe(b)) f["baseline." + k] = v;
        return f;
    }

    /// <summary>Runs this shard's unfinished trials; returns every trial record in the directory (all shards).</summary>
    public async Task<IReadOnlyList<TrialResult>> RunAsync(CancellationToken cancellationToken = default)
    {
        // Everything that can be wrong is checked before any training.
        if (tokenizer is null || baseline is null) throw new InvalidOperationException("Call SetPipeline(tokenizer, baselineOptions) first.");
        if (train is null || validation is null) throw new InvalidOperationException("Call SetDataset(train, validation) first.");
        if (directory is null) throw new InvalidOperationException("Call SetResultDirectory(path) first: trial records are what survives an interruption.");
        var trials = PlanTrials();
        var store = new ResultStore(directory);
        store.Claim(Fingerprint());
        var mine = trials.Where(t => t.Index % shardCount == shardIndex).ToList();
        var budgeted = Budgeted();

        return await Task.Run(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var channel = ((IChannelProvider)ml).Start("LowRankExperiment");
            void Report(ExperimentProgress p)
            {
                monitor?.Report(p);
                channel.Info(MessageSensitivity.None, p.ToString());
            }
            CopyReusable(store, mine, budgeted, channel);
            var recorded = store.ReadAll().ToDictionary(r => r.Id);
            var pending = mine.Where(t => !recorded.ContainsKey(t.Id)).ToList();
            int done = 0;
            foreach (var (index, id, parameters) in mine.Where(t => recorded.ContainsKey(t.Id)))
                Report(new ExperimentProgress(index, id, TrialKey.Of(parameters), ++done, mine.Count, recorded[id], Skipped: true));
            channel.Info(MessageSensitivity.None, $"Experiment in {store.Directory}: {trials.Count} trials, shard {shardIndex}/{shardCount} has {mine.Count}, {done} already done.");
            if (pending.Count == 0) return store.ReadAll();

            var runner = Prepare(budgeted);
            foreach (var (index, id, parameters) in pending)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (experimentBudget is TimeSpan limit && clock.Elapsed > limit)
                {
                    channel.Info(MessageSensitivity.None, $"Experiment budget {limit} spent; {mine.Count - done} trials of this shard left for a later run.");
                    break;
                }
                if (store.IsFinished(id)) { done++; continue; } // another process finished it meanwhile
                string key = TrialKey.Of(parameters);
                Report(new ExperimentProgress(index, id, key, done, mine.Count, null, false));
                var result = runner.Run(index, id, parameters, budgeted, cancellationToken);
                store.Write(result);
                store.WriteSummary();
                done++;
                Report(new ExperimentProgress(index, id, key, done, mine.Count, result, false));
            }
            return store.ReadAll();
        }, cancellationToken).ConfigureAwait(false);
    }

    void CopyReusable(ResultStore store, IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> mine,
        LowRankLmTrainer.Options budgeted, IChannel channel)
    {
        if (reuseDirectories.Length == 0) return;
        // Only what decides a trial's outcome must match: the fingerprint's shared keys, then the trial's whole configuration.
        string[] shared = ["tokenizer", "textColumn", "trialBudget", "threshold"];
        var mineFingerprint = Fingerprint();
        var donors = reuseDirectories
            .Select(d => new ResultStore(d))
            .Where(d => d.Directory != store.Directory && d.ReadFingerprint() is { } f && shared.All(k => f.GetValueOrDefault(k) == mineFingerprint.GetValueOrDefault(k)))
            .SelectMany(d => d.ReadAll().Where(r => r.Status == TrialStatus.Completed && r.CopiedFrom is null).Select(r => (Store: d, Record: r)))
            .ToList();
        foreach (var (index, id, parameters) in mine)
        {
            if (store.IsFinished(id)) continue;
            SortedDictionary<string, string> configuration;
            try { configuration = TrialParameters.Describe(TrialParameters.Apply(budgeted, parameters)); }
            catch (ArgumentException) { continue; } // a bad value: the trial runs and is recorded as Failed
            var donor = donors.FirstOrDefault(d => d.Record.Configuration.Count == configuration.Count
                && configuration.All(kv => d.Record.Configuration.GetValueOrDefault(kv.Key) == kv.Value));
            if (donor.Record is null) continue;
            string source = Path.GetRelativePath(store.Directory, Path.Combine(donor.Store.TrialsDirectory, donor.Record.Id + ".json")).Replace('\\', '/');
            store.Write(donor.Record with { Id = id, Index = index, Parameters = new Dictionary<string, string>(parameters), CopiedFrom = source });
            channel.Info(MessageSensitivity.None, $"Trial {index} {TrialKey.Of(parameters)}: same configuration already finished in {source}; copied, not re-run.");
        }
        store.WriteSummary();
    }

    LowRankLmTrainer.Options Budgeted()
    {
        var b = TrialParameters.Clone(baseline ?? new LowRankLmTrainer.Options());
        if (trialSteps is not null || trialTokens is not null || trialSeconds is not null)
            (b.MaxSteps, b.MaxTokens, b.MaxSeconds) = (trialSteps, trialTokens, trialSeconds);
        return b;
    }

    TrialRunner Prepare(LowRankLmTrainer.Options budgeted)
    {
        // One tokenizer for every trial (so perplexities compare), and the tokenized sets cached once.
        var stage = ml.Transforms.Text.TokenizeForLanguageModel(budgeted.TokensColumnName, textColumn, tokenizer!).Fit(train!);
        var tokenizedTrain = ml.Data.Cache(stage.Transform(train!));
        var tokenizedValidation = ml.Data.Cache(stage.Transform(validation!));
        NativeHeap.Release(); // what training the tokenizer freed, so the first trial's peak is its own too
        return new TrialRunner(ml, tokenizedTrain, tokenizedValidation, stage.Tokenizer.VocabSize, MachinePeak.Float32FlopsPerSecond(Runtime.TorchRuntime.Device));
    }
}
