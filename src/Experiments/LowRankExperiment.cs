// The sweep API, shaped like ML.NET AutoML's AutoMLExperiment: set the pipeline, the dataset, the search space, the
// tuner (a fixed list, or an adaptive one that proposes from results), budgets, early stopping, the objective,
// monitors, a trial runner and a result directory, then RunAsync. This file is the builder, the plan and the run
// directory's fingerprint; each search strategy is its own type under Search/ (fixed list, adaptive, successive
// halving), sharing a TrialSession. Trials run one after another in this process (each uses every core); a batch-job
// array runs shards of the same fixed trial list in separate processes over one run directory.
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
    TrialBudget? trialBudget;
    TimeSpan? experimentBudget;
    string? directory;
    int shardIndex, shardCount = 1;
    IProgress<ExperimentProgress>? progressMonitor;
    IMonitor? monitor;
    IAdaptiveTuner? adaptiveTuner;
    ITrialRunner? customRunner;
    SuccessiveHalvingOptions? halving;
    ExperimentObjective objective = ExperimentObjective.Perplexity;
    string? modelDirectory;
    string? logDirectory;
    bool keepEveryModel;
    string[] reuseDirectories = [];
    (Data.Shards.TokenShardDataView Train, Data.Shards.TokenShardDataView Validation)? shards;
    (ITrialRunner Runner, string TokenizerFingerprint)? prepared;
    (string Train, string Validation)? documents;

    /// <summary>How long a claimed successive-halving run may go without a heartbeat before another process takes it
    /// over.</summary>
    public TimeSpan StaleClaimAfter { get; set; } = TimeSpan.FromMinutes(15);

    internal LowRankExperiment(MLContext ml) => this.ml = ml;

    /// <summary>The tokenizer (trained once on the training set, shared by every trial) and the trainer options every
    /// trial starts from.</summary>
    public LowRankExperiment SetPipeline(LmTokenizerFactory tokenizer, LowRankLmTrainer.Options baseline,
        string textColumn = "Text")
    {
        this.tokenizer = tokenizer;
        this.baseline = baseline;
        this.textColumn = textColumn;
        (prepared, documents) = (null, null);
        return this;
    }

    /// <summary>Raw training and validation documents (a text column).</summary>
    public LowRankExperiment SetDataset(IDataView train, IDataView validation)
    {
        this.train = train;
        this.validation = validation;
        shards = null;
        (prepared, documents) = (null, null);
        return this;
    }

    /// <summary>Token shards (<c>LoadTokenShards(dir, "train")</c> and <c>(dir, "validation")</c>): trials train on
    /// them where they lie, with the tokenizer their manifest names (the pipeline's tokenizer is not used).</summary>
    public LowRankExperiment SetDataset(Data.Shards.TokenShardDataView train, Data.Shards.TokenShardDataView validation)
    {
        if (!train.Tokenizer.SameAs(validation.Tokenizer))
            throw new ArgumentException($"The training shards were made by {train.Tokenizer} and the validation " +
                $"shards by {validation.Tokenizer}; use one shard directory's two splits.");
        this.train = train;
        this.validation = validation;
        shards = (train, validation);
        (prepared, documents) = (null, null);
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
    public LowRankExperiment SetOneAtATimeScan(IReadOnlyDictionary<string, string>? baseline = null) =>
        SetTuner(Tuners.OneAtATime(baseline));

    /// <summary>Exactly these trials (for example an iso-parameter plan's).</summary>
    public LowRankExperiment SetTrials(IEnumerable<IReadOnlyDictionary<string, string>> trials) =>
        SetTuner(Tuners.Explicit(trials));

    /// <summary>Any fixed-list tuner.</summary>
    public LowRankExperiment SetTuner(ITuner t)
    {
        tuner = t;
        adaptiveTuner = null;
        return this;
    }

    /// <summary>A tuner that proposes each trial from the results so far (in one process; not with shards).</summary>
    public LowRankExperiment SetTuner(IAdaptiveTuner t)
    {
        adaptiveTuner = t;
        tuner = null;
        return this;
    }

    /// <summary>How trials are run (default: trained in this process on the tokenized dataset).</summary>
    public LowRankExperiment SetTrialRunner(ITrialRunner runner)
    {
        customRunner = runner;
        return this;
    }

    /// <summary>Stops hopeless trials early with asynchronous successive halving over the periodic validation loss
    /// (needs a per-trial budget in steps and a fixed-list tuner; works across shards).</summary>
    public LowRankExperiment SetSuccessiveHalving(int minSteps, int reductionFactor = 3)
    {
        halving = new SuccessiveHalvingOptions(minSteps, reductionFactor);
        return this;
    }

    /// <summary>What the best trial minimises (default validation perplexity).</summary>
    public LowRankExperiment SetObjective(ExperimentObjective value)
    {
        objective = value;
        return this;
    }

    /// <summary>Writes TensorBoard runs: one sub-directory per trial (its curves, hyper-parameters and final figures);
    /// point <c>tensorboard --logdir</c> at <paramref name="path"/> to compare the trials while the sweep
    /// runs.</summary>
    public LowRankExperiment SetLogDirectory(string path)
    {
        logDirectory = Path.GetFullPath(path);
        return this;
    }

    /// <summary>Keeps the best trial's trained model as <c>best.zip</c> (and, with <paramref name="keepEveryModel"/>,
    /// every completed trial's as <c>&lt;trial id&gt;.zip</c>) in <paramref name="path"/>; load them with
    /// LoadModel.</summary>
    public LowRankExperiment SetModelDirectory(string path, bool keepEveryModel = false)
    {
        modelDirectory = Path.GetFullPath(path);
        this.keepEveryModel = keepEveryModel;
        return this;
    }

    /// <summary>The budget of each trial (overrides the baseline's).</summary>
    /// <exception cref="ArgumentException">No budget, or a value that is not positive: checked here, before any trial,
    /// since a bad budget would otherwise become a failed record for every trial.</exception>
    public LowRankExperiment SetTrialBudget(int? steps = null, long? tokens = null, double? seconds = null) =>
        SetTrialBudget(new TrialBudget(steps, tokens, seconds));

    /// <summary>The budget of each trial (overrides the baseline's).</summary>
    public LowRankExperiment SetTrialBudget(TrialBudget budget)
    {
        trialBudget = budget;
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

    /// <summary>Run only trials with index % <paramref name="count"/> == <paramref name="index"/> (one task of a job
    /// array).</summary>
    public LowRankExperiment SetShard(int index, int count)
    {
        if (count < 1 || index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Shard {index}/{count}: need 0 ≤ index < count.");
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
        progressMonitor = progress;
        return this;
    }

    /// <summary>Receives every event in order: running, per-step progress, completed, failed, best.</summary>
    public LowRankExperiment SetMonitor(IMonitor value)
    {
        monitor = value;
        return this;
    }

    /// <summary>The trials the tuner chooses, with their file ids, in run order (all shards).</summary>
    public IReadOnlyList<TrialSettings> PlanTrials()
    {
        if (adaptiveTuner is not null)
            throw new InvalidOperationException($"The adaptive tuner '{adaptiveTuner.Describe()}' proposes trials " +
                $"from results, so there is no list to plan; use a fixed-list tuner (grid, random, one-at-a-time, " +
                $"explicit) to plan or shard.");
        var t = tuner
            ?? throw new InvalidOperationException("Set a tuner first: SetGridSearch, SetRandomSearch, " +
            "SetOneAtATimeScan, SetTrials or an adaptive tuner.");
        var trials = t.Trials(space);
        // Every name and value is checked before any trial trains: an unknown variant or a value that does not parse
        // is refused here, with the known choices, instead of becoming failed trial records.
        foreach (var p in trials)
            foreach (var (name, value) in p)
            {
                if (!TrialParameters.IsKnown(name))
                    throw new ArgumentException($"Trial parameter '{name}' is " +
                        $"unknown{Common.Suggest.Closest(name, TrialParameters.Names)}.");
                OptionTable.Get(name).Check(value);
            }
        return trials.Select((p, i) => new TrialSettings(i, TrialKey.FileId(i, p), p)).ToList();
    }

    /// <summary>What identifies this experiment in its run directory: the tokenizer (its name and its vocabulary's
    /// fingerprint), the documents (content hashes of the training and validation text, or the shards' identity), the
    /// tuner, search space, budget, every baseline option and the extension assemblies the trials use. Computing it
    /// reads the documents once and prepares the tokenizer (what the first trial would do).</summary>
    public IReadOnlyDictionary<string, string> Fingerprint()
    {
        var b = Budgeted();
        var f = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["tokenizer"] = shards is { } s ? s.Train.Tokenizer.Name : tokenizer?.Name ?? "",
            ["textColumn"] = textColumn,
            ["tuner"] = tuner?.Describe() ?? adaptiveTuner?.Describe() ?? "",
            ["searchSpace"] = space.ToString(),
            ["trialBudget"] = TrialBudget.Describe(b.Training),
            ["threshold"] = b.Training.ThresholdPerplexity?.ToString(System.Globalization.CultureInfo.InvariantCulture)
                ?? "",
        };
        foreach (var (k, v) in TrialParameters.Describe(b)) f["baseline." + k] = v;
        if (customRunner is null && train is not null && validation is not null)
        {
            documents ??= shards is { } sh ? (sh.Train.Stream.Identity, sh.Validation.Stream.Identity)
                : (ExperimentIdentity.Documents(train, textColumn),
                ExperimentIdentity.Documents(validation, textColumn));
            f["data.train"] = documents.Value.Train;
            f["data.validation"] = documents.Value.Validation;
            f["tokenizerFingerprint"] = Prepared(b).TokenizerFingerprint;
        }
        f["extensions"] = ExperimentIdentity.Extensions(Configurations(b));
        if (halving is not null)
            f["earlyStopping"] = halving.ToString(); // only when set: older directories keep their fingerprint
        return f;
    }

    /// <summary>How this experiment's identity (<see cref="Fingerprint"/>) differs from the one
    /// <paramref name="runDirectory"/> records, one "key: this run has …, the directory has …" each; empty when running
    /// it there would resume that directory. With a custom trial runner (or no dataset) the documents and the
    /// tokenizer's fingerprint are not part of the identity computed here and are not compared, so nothing is read or
    /// tokenized.</summary>
    /// <exception cref="InvalidOperationException">The directory holds no experiment.</exception>
    public IReadOnlyList<string> IdentityDifferences(string runDirectory)
    {
        var stored = new ResultStore(runDirectory).ReadFingerprint()
            ?? throw new InvalidOperationException($"{Path.GetFullPath(runDirectory)} holds no experiment.json.");
        var fingerprint = Fingerprint();
        return ResultStore.Differences(stored, fingerprint, AbsentMeans, AdoptedKeys,
            [.. AdoptedKeys.Where(k => !fingerprint.ContainsKey(k))]);
    }

    /// <summary>Runs this shard's unfinished trials; returns every trial record in the directory (all shards) and the
    /// best.</summary>
    public async Task<ExperimentResult> RunAsync(CancellationToken cancellationToken = default)
    {
        // Everything that can be wrong is checked before any training.
        if (tokenizer is null || baseline is null)
            throw new InvalidOperationException("Call SetPipeline(tokenizer, baselineOptions) first.");
        if (customRunner is null && (train is null || validation is null))
            throw new InvalidOperationException("Call SetDataset(train, validation) first (or SetTrialRunner with a " +
                "runner that loads its own data).");
        if (directory is null)
            throw new InvalidOperationException("Call SetResultDirectory(path) first: trial records are what " +
                "survives an interruption.");
        if (adaptiveTuner is not null && shardCount > 1)
            throw new InvalidOperationException("An adaptive tuner proposes each trial from the results before it, " +
                "so it runs in one process; shard a fixed-list tuner instead (with SetSuccessiveHalving to stop " +
                "hopeless trials early).");
        var budgeted = Budgeted();
        IReadOnlyList<int>? rungs = null;
        if (halving is not null)
        {
            if (adaptiveTuner is not null)
                throw new InvalidOperationException("Successive halving needs a fixed list of candidates: use it " +
                    "with grid, random, one-at-a-time or explicit trials.");
            if (budgeted.Training.MaxSteps is not int maxSteps || budgeted.Training.MaxTokens is not null
                || budgeted.Training.MaxSeconds is not null)
                throw new InvalidOperationException("Successive halving needs the trial budget in steps only " +
                    "(SetTrialBudget(steps: n)): its rungs are step counts of one schedule.");
            rungs = halving.Rungs(maxSteps);
        }
        var trials = adaptiveTuner is null ? PlanTrials() : [];
        var store = new ResultStore(directory);

        return await Task.Run(() =>
        {
            // A directory made before the data, tokenizer and extensions were recorded adopts this run's (and records
            // them).
            store.Claim(Fingerprint(), AbsentMeans, AdoptedKeys);
            using var channel = ((IChannelProvider)ml).Start("LowRankExperiment");
            var session = new Search.TrialSession(store, budgeted, channel,
                new Search.SessionSettings(objective, b => customRunner ?? Prepared(b).Runner, progressMonitor,
                monitor, experimentBudget, modelDirectory, keepEveryModel, logDirectory));
            Search.SuccessiveHalvingSearch? halvingSearch = rungs is null ? null : new(session, halving!, rungs,
                StaleClaimAfter);
            if (adaptiveTuner is not null) Search.AdaptiveSearch.Run(session, adaptiveTuner, space, cancellationToken);
            else
            {
                var mine = trials.Where(t => t.Index % shardCount == shardIndex).ToList();
                Search.TrialReuse.Copy(store, mine, budgeted, Fingerprint(), reuseDirectories, channel);
                channel.Info(MessageSensitivity.None, $"Experiment in {store.Directory}: {trials.Count} trials, " +
                    $"shard {shardIndex}/{shardCount} has {mine.Count}.");
                if (halvingSearch is null)
                    Search.FixedListSearch.Run(session, mine, StaleClaimAfter, cancellationToken);
                else halvingSearch.Run(trials, mine, cancellationToken);
            }
            store.WriteSummary();
            return new ExperimentResult(store.ReadAll(), objective, halvingSearch?.Summary(trials));
        }, cancellationToken).ConfigureAwait(false);
    }

    LowRankLmTrainer.Options Budgeted()
    {
        var b = (baseline ?? new LowRankLmTrainer.Options()).Clone();
        if (trialBudget is not null) b.Training = trialBudget.ApplyTo(b.Training);
        // The seed in force, written out, so a trial's identity never depends on which MLContext runs it.
        b.Seed = MLContextSettings.SeedOf(ml, b.Seed);
        return b;
    }

    /// <summary>What a baseline option an older run directory lacks stands for: its default (it was added
    /// since).</summary>
    static readonly IReadOnlyDictionary<string, string> AbsentMeans =
        OptionTable.Defaults.ToDictionary(kv => "baseline." + kv.Key, kv => kv.Value);

    /// <summary>Fingerprint keys an older run directory may lack: it adopts this run's values for them.</summary>
    static readonly string[] AdoptedKeys = ["data.train", "data.validation", "tokenizerFingerprint", "extensions"];

    /// <summary>The baseline and every configuration the trials can take (the planned list, or each search-space
    /// choice).</summary>
    IEnumerable<LowRankLmTrainer.Options> Configurations(LowRankLmTrainer.Options budgeted)
    {
        yield return budgeted;
        var planned = tuner is not null && adaptiveTuner is null ? tuner.Trials(space)
            : space.Dimensions.SelectMany(d =>
            d.Choices.Select(c =>
            (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [d.Name] = c }));
        foreach (var p in planned) yield return TrialParameters.Apply(budgeted, p);
    }

    (ITrialRunner Runner, string TokenizerFingerprint) Prepared(LowRankLmTrainer.Options budgeted) =>
        prepared ??= Prepare(budgeted);

    (ITrialRunner, string) Prepare(LowRankLmTrainer.Options budgeted)
    {
        if (shards is { } s)
            return (new TrialRunner(ml, null, s.Train, s.Validation, s.Train.Tokenizer.VocabSize,
                MachinePeak.Float32FlopsPerSecond(Runtime.TorchRuntime.Device)), s.Train.Tokenizer.Fingerprint);
        // One tokenizer for every trial (so perplexities compare), and the tokenized sets cached once.
        var stage = ml.Transforms.Text.TokenizeForLanguageModel(budgeted.TokensColumnName, textColumn,
            tokenizer!).Fit(train!);
        var tokenizedTrain = ml.Data.Cache(stage.Transform(train!));
        var tokenizedValidation = ml.Data.Cache(stage.Transform(validation!));
        NativeHeap.Release(); // what training the tokenizer freed, so the first trial's peak is its own too
        return (new TrialRunner(ml, stage, tokenizedTrain, tokenizedValidation, stage.Tokenizer.VocabSize,
            MachinePeak.Float32FlopsPerSecond(Runtime.TorchRuntime.Device)), stage.Tokenizer.Fingerprint);
    }
}
