// The sweep API, shaped like ML.NET AutoML's AutoMLExperiment: set the pipeline, the dataset, the search space, the
// tuner (a fixed list, or an adaptive one that proposes from results), budgets, early stopping, the objective, monitors,
// a trial runner and a result directory, then RunAsync. Trials run one after another in this process (each uses every
// core); a batch-job array runs shards of the same fixed trial list in separate processes over one run directory.
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

    /// <summary>How long a claimed successive-halving run may go without a heartbeat before another process takes it over.</summary>
    public TimeSpan StaleClaimAfter { get; set; } = TimeSpan.FromMinutes(15);

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
        shards = null;
        return this;
    }

    /// <summary>Token shards (<c>LoadTokenShards(dir, "train")</c> and <c>(dir, "validation")</c>): trials train on them where
    /// they lie, with the tokenizer their manifest names (the pipeline's tokenizer is not used).</summary>
    public LowRankExperiment SetDataset(Data.Shards.TokenShardDataView train, Data.Shards.TokenShardDataView validation)
    {
        if (!train.Tokenizer.SameAs(validation.Tokenizer))
            throw new ArgumentException($"The training shards were made by {train.Tokenizer} and the validation shards by {validation.Tokenizer}; use one shard directory's two splits.");
        this.train = train;
        this.validation = validation;
        shards = (train, validation);
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
    /// point <c>tensorboard --logdir</c> at <paramref name="path"/> to compare the trials while the sweep runs.</summary>
    public LowRankExperiment SetLogDirectory(string path)
    {
        logDirectory = Path.GetFullPath(path);
        return this;
    }

    /// <summary>Keeps the best trial's trained model as <c>best.zip</c> (and, with <paramref name="keepEveryModel"/>, every
    /// completed trial's as <c>&lt;trial id&gt;.zip</c>) in <paramref name="path"/>; load them with LoadModel.</summary>
    public LowRankExperiment SetModelDirectory(string path, bool keepEveryModel = false)
    {
        modelDirectory = Path.GetFullPath(path);
        this.keepEveryModel = keepEveryModel;
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
    public IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> PlanTrials()
    {
        if (adaptiveTuner is not null)
            throw new InvalidOperationException($"The adaptive tuner '{adaptiveTuner.Describe()}' proposes trials from results, so there is no list to plan; use a fixed-list tuner (grid, random, one-at-a-time, explicit) to plan or shard.");
        var t = tuner ?? throw new InvalidOperationException("Set a tuner first: SetGridSearch, SetRandomSearch, SetOneAtATimeScan, SetTrials or an adaptive tuner.");
        var trials = t.Trials(space);
        // Every name and value is checked before any trial trains: an unknown variant or a value that does not parse
        // is refused here, with the known choices, instead of becoming failed trial records.
        foreach (var p in trials)
            foreach (var (name, value) in p)
            {
                if (!TrialParameters.IsKnown(name))
                    throw new ArgumentException($"Trial parameter '{name}' is unknown{Suggest.Closest(name, TrialParameters.Names)}.");
                OptionTable.Get(name).Check(value);
            }
        return trials.Select((p, i) => (i, TrialKey.FileId(i, p), p)).ToList();
    }

    /// <summary>What identifies this experiment in its run directory.</summary>
    public IReadOnlyDictionary<string, string> Fingerprint()
    {
        var b = Budgeted();
        var f = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["tokenizer"] = shards is { } s ? s.Train.Tokenizer.Name : tokenizer?.Name ?? "",
            ["textColumn"] = textColumn,
            ["tuner"] = tuner?.Describe() ?? adaptiveTuner?.Describe() ?? "",
            ["searchSpace"] = space.ToString(),
            ["trialBudget"] = $"steps={b.Training.MaxSteps} tokens={b.Training.MaxTokens} seconds={b.Training.MaxSeconds}",
            ["threshold"] = b.Training.ThresholdPerplexity?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
        foreach (var (k, v) in TrialParameters.Describe(b)) f["baseline." + k] = v;
        if (halving is not null) f["earlyStopping"] = halving.ToString(); // only when set: older directories keep their fingerprint
        return f;
    }

    /// <summary>Runs this shard's unfinished trials; returns every trial record in the directory (all shards) and the best.</summary>
    public async Task<ExperimentResult> RunAsync(CancellationToken cancellationToken = default)
    {
        // Everything that can be wrong is checked before any training.
        if (tokenizer is null || baseline is null) throw new InvalidOperationException("Call SetPipeline(tokenizer, baselineOptions) first.");
        if (customRunner is null && (train is null || validation is null)) throw new InvalidOperationException("Call SetDataset(train, validation) first (or SetTrialRunner with a runner that loads its own data).");
        if (directory is null) throw new InvalidOperationException("Call SetResultDirectory(path) first: trial records are what survives an interruption.");
        if (adaptiveTuner is not null && shardCount > 1)
            throw new InvalidOperationException("An adaptive tuner proposes each trial from the results before it, so it runs in one process; shard a fixed-list tuner instead (with SetSuccessiveHalving to stop hopeless trials early).");
        var budgeted = Budgeted();
        IReadOnlyList<int>? rungs = null;
        if (halving is not null)
        {
            if (adaptiveTuner is not null) throw new InvalidOperationException("Successive halving needs a fixed list of candidates: use it with grid, random, one-at-a-time or explicit trials.");
            if (budgeted.Training.MaxSteps is not int maxSteps || budgeted.Training.MaxTokens is not null || budgeted.Training.MaxSeconds is not null)
                throw new InvalidOperationException("Successive halving needs the trial budget in steps only (SetTrialBudget(steps: n)): its rungs are step counts of one schedule.");
            rungs = halving.Rungs(maxSteps);
        }
        var trials = adaptiveTuner is null ? PlanTrials() : [];
        var store = new ResultStore(directory);
        store.Claim(Fingerprint(), OptionTable.Defaults.ToDictionary(kv => "baseline." + kv.Key, kv => kv.Value));

        return await Task.Run(() =>
        {
            using var channel = ((IChannelProvider)ml).Start("LowRankExperiment");
            var run = new Run(this, store, budgeted, channel);
            if (adaptiveTuner is not null) run.Adaptive(adaptiveTuner, cancellationToken);
            else
            {
                var mine = trials.Where(t => t.Index % shardCount == shardIndex).ToList();
                CopyReusable(store, mine, budgeted, channel);
                channel.Info(MessageSensitivity.None, $"Experiment in {store.Directory}: {trials.Count} trials, shard {shardIndex}/{shardCount} has {mine.Count}.");
                if (rungs is null) run.List(mine, cancellationToken);
                else run.Halving(trials, mine, rungs, cancellationToken);
            }
            store.WriteSummary();
            return new ExperimentResult(store.ReadAll(), objective, rungs is null ? null : run.HalvingSummary(trials, rungs));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One call of RunAsync: the runner, the monitors, the clock, the best so far.</summary>
    sealed class Run
    {
        readonly LowRankExperiment x;
        readonly ResultStore store;
        readonly LowRankLmTrainer.Options budgeted;
        readonly IMonitor[] monitors;
        readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        ITrialRunner? runner;
        TrialResult? best;
        int done, total;

        public Run(LowRankExperiment experiment, ResultStore store, LowRankLmTrainer.Options budgeted, IChannel channel)
        {
            x = experiment;
            this.store = store;
            this.budgeted = budgeted;
            var list = new List<IMonitor> { new LineMonitor(line => channel.Info(MessageSensitivity.None, line)) };
            if (x.progressMonitor is not null) list.Add(new ProgressMonitor(x.progressMonitor, () => (done, total)));
            if (x.monitor is not null) list.Add(x.monitor);
            monitors = list.ToArray();
            best = Objectives.Best(store.ReadAll(), x.objective);
            Channel = channel;
        }

        IChannel Channel { get; }

        bool BudgetSpent()
        {
            if (x.experimentBudget is not TimeSpan limit || clock.Elapsed <= limit) return false;
            Channel.Info(MessageSensitivity.None, $"Experiment budget {limit} spent; what is left runs next time.");
            return true;
        }

        /// <summary>The fixed list: every trial of this shard without a record, in order.</summary>
        public void List(IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> mine, CancellationToken ct)
        {
            total = mine.Count;
            var recorded = store.ReadAll().ToDictionary(r => r.Id);
            foreach (var (index, id, parameters) in mine.Where(t => recorded.ContainsKey(t.Id)))
                x.progressMonitor?.Report(new ExperimentProgress(index, id, TrialKey.Of(parameters), ++done, mine.Count, recorded[id], Skipped: true));
            foreach (var (index, id, parameters) in mine.Where(t => !recorded.ContainsKey(t.Id)))
            {
                ct.ThrowIfCancellationRequested();
                if (BudgetSpent()) break;
                if (store.IsFinished(id)) { done++; continue; } // another process finished it meanwhile
                var result = Execute(new TrialSettings(index, id, parameters), checkpoint: null, ct);
                store.Write(result);
                store.WriteSummary();
                done++;
                Ended(new TrialSettings(index, id, parameters), result);
            }
        }

        /// <summary>Proposals of an adaptive tuner; a resumed run replays the recorded trials through Update first.</summary>
        public void Adaptive(IAdaptiveTuner tuner, CancellationToken ct)
        {
            var recorded = store.ReadAll().ToDictionary(r => r.Index);
            for (int index = 0; ; index++)
            {
                ct.ThrowIfCancellationRequested();
                var parameters = tuner.Propose(x.space);
                if (parameters is null) break;
                foreach (var name in parameters.Keys)
                    if (!TrialParameters.IsKnown(name)) throw new ArgumentException($"The tuner proposed unknown parameter '{name}'{Suggest.Closest(name, TrialParameters.Names)}.");
                string id = TrialKey.FileId(index, parameters);
                total = index + 1;
                if (recorded.TryGetValue(index, out var old))
                {
                    if (old.Id != id)
                        throw new InvalidOperationException($"{store.Directory}: trial {index} was {TrialKey.Of(old.Parameters)}, but the tuner now proposes {TrialKey.Of(parameters)}: the run directory was made by another tuner or seed. Use a new directory.");
                    tuner.Update(old, Objectives.Value(old, x.objective));
                    x.progressMonitor?.Report(new ExperimentProgress(index, id, TrialKey.Of(parameters), ++done, total, old, Skipped: true));
                    continue;
                }
                if (BudgetSpent()) break;
                var settings = new TrialSettings(index, id, parameters);
                var result = Execute(settings, checkpoint: null, ct);
                store.Write(result);
                store.WriteSummary();
                done++;
                tuner.Update(result, Objectives.Value(result, x.objective));
                Ended(settings, result);
            }
        }

        /// <summary>Asynchronous successive halving over the candidates; this shard starts only its own candidates but
        /// promotes any, so shards share the work as it comes.</summary>
        public void Halving(IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> all,
            IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> mine, IReadOnlyList<int> rungs, CancellationToken ct)
        {
            var byId = all.ToDictionary(t => t.Id);
            var own = mine.Select(t => t.Id).ToHashSet();
            int eta = x.halving!.ReductionFactor;
            total = all.Count;
            Directory.CreateDirectory(store.CheckpointsDirectory);
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (BudgetSpent()) return;
                var records = store.ReadRungs();
                var loss = records.ToDictionary(r => r.Key, r => r.Value.Status == TrialStatus.Paused || r.Value.Status == TrialStatus.Completed ? r.Value.CrossEntropy ?? double.PositiveInfinity : double.PositiveInfinity);
                var busy = store.ActiveClaims(x.StaleClaimAfter);
                // Candidates of other shards are never started here, only promoted: mark them busy at rung 0.
                var blocked = busy.Concat(all.Where(t => !own.Contains(t.Id) && !loss.ContainsKey((t.Id, 0))).Select(t => (t.Id, 0))).ToHashSet();
                var next = SuccessiveHalving.Next(all.Select(t => t.Id).ToList(), rungs.Count, eta, loss, blocked);
                if (next is not (string id, int rung))
                {
                    // Final only when every candidate of every shard has started and nothing runs anywhere: until then a
                    // new result can still promote a candidate.
                    if (busy.Count == 0 && all.All(t => loss.ContainsKey((t.Id, 0)))) Finish(all, records, rungs);
                    else Channel.Info(MessageSensitivity.None, $"Successive halving: nothing left for this process now ({busy.Count} run(s) under way elsewhere, {all.Count(t => !loss.ContainsKey((t.Id, 0)))} candidate(s) of other shards not started). Run again to finish.");
                    return;
                }
                if (!store.TryClaim(id, rung, x.StaleClaimAfter)) continue; // another process took it first
                try
                {
                    var (index, _, parameters) = byId[id];
                    bool last = rung == rungs.Count - 1;
                    var settings = new TrialSettings(index, id, parameters) { Rung = rung, PauseAtStep = last ? null : rungs[rung] };
                    var result = Execute(settings, store.CheckpointOf(id), ct, () => store.Heartbeat(id, rung));
                    store.WriteRung(result, rung);
                    if (last || result.Status is TrialStatus.Failed or TrialStatus.Diverged)
                    {
                        store.Write(result);
                        File.Delete(store.CheckpointOf(id));
                        done++;
                    }
                    store.WriteSummary();
                    Ended(settings, result);
                }
                finally { store.Release(id, rung); }
            }
        }

        /// <summary>Every candidate that stopped below the last rung gets its final record: Stopped, from its last rung.</summary>
        void Finish(IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> all,
            IReadOnlyDictionary<(string Id, int Rung), TrialResult> records, IReadOnlyList<int> rungs)
        {
            foreach (var (_, id, _) in all)
            {
                if (store.IsFinished(id)) continue;
                var reached = Enumerable.Range(0, rungs.Count).Where(k => records.ContainsKey((id, k))).ToList();
                if (reached.Count == 0) continue;
                var last = records[(id, reached.Max())];
                store.Write(last with { Status = TrialStatus.Stopped });
                File.Delete(store.CheckpointOf(id));
            }
        }

        /// <summary>The steps each candidate trained under successive halving, and a full grid's.</summary>
        public EarlyStoppingSummary HalvingSummary(IReadOnlyList<(int Index, string Id, IReadOnlyDictionary<string, string> Parameters)> all, IReadOnlyList<int> rungs)
        {
            var records = store.ReadRungs();
            long trained = all.Sum(t => (long)Enumerable.Range(0, rungs.Count).Where(k => records.ContainsKey((t.Id, k))).Select(k => records[(t.Id, k)].Steps).DefaultIfEmpty(0).Max());
            var perRung = Enumerable.Range(0, rungs.Count).Select(k => all.Count(t => records.ContainsKey((t.Id, k)))).ToArray();
            return new EarlyStoppingSummary(rungs, perRung, trained, (long)all.Count * rungs[^1]);
        }

        /// <summary>Runs one trial (or rung) through the runner, with the monitors told as it goes.</summary>
        TrialResult Execute(TrialSettings settings, string? checkpoint, CancellationToken ct, Action? heartbeat = null)
        {
            runner ??= x.customRunner ?? x.Prepare(budgeted);
            foreach (var m in monitors) m.ReportRunningTrial(settings);
            string? modelPath = x.modelDirectory is null || settings.PauseAtStep is not null ? null : Path.Combine(x.modelDirectory, settings.Id + ".zip");
            var context = new TrialContext
            {
                Settings = settings, Baseline = budgeted, CheckpointPath = checkpoint, ModelPath = modelPath,
                LogDirectory = x.logDirectory is null ? null : Path.Combine(x.logDirectory, settings.Id),
                Progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    heartbeat?.Invoke();
                    foreach (var m in monitors) m.ReportTrialProgress(settings, p);
                }),
            };
            return runner.Run(context, ct);
        }

        void Ended(TrialSettings settings, TrialResult result)
        {
            bool failed = result.Status is TrialStatus.Failed or TrialStatus.Diverged;
            foreach (var m in monitors)
                if (failed) m.ReportFailTrial(settings, result); else m.ReportCompletedTrial(settings, result);
            if (Objectives.Value(result, x.objective) is not double value) { DropModel(result.Id); return; }
            if (best is not null && Objectives.Value(best, x.objective) is double incumbent && value >= incumbent) { DropModel(result.Id); return; }
            string? previous = best?.Id;
            best = result;
            KeepBestModel(result.Id, previous);
            foreach (var m in monitors) m.ReportBestTrial(result);
        }

        void KeepBestModel(string id, string? previous)
        {
            if (x.modelDirectory is null) return;
            string path = Path.Combine(x.modelDirectory, id + ".zip");
            if (!File.Exists(path)) return;
            File.Copy(path, Path.Combine(x.modelDirectory, "best.zip"), overwrite: true);
            if (!x.keepEveryModel)
            {
                File.Delete(path);
                if (previous is not null) File.Delete(Path.Combine(x.modelDirectory, previous + ".zip"));
            }
        }

        void DropModel(string id)
        {
            if (x.modelDirectory is not null && !x.keepEveryModel) File.Delete(Path.Combine(x.modelDirectory, id + ".zip"));
        }
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
            var donor = donors.FirstOrDefault(d => OptionTable.SameConfiguration(d.Record.Configuration, configuration));
            if (donor.Record is null) continue;
            string source = Path.GetRelativePath(store.Directory, Path.Combine(donor.Store.TrialsDirectory, donor.Record.Id + ".json")).Replace('\\', '/');
            store.Write(donor.Record with { Id = id, Index = index, Parameters = new Dictionary<string, string>(parameters), CopiedFrom = source });
            channel.Info(MessageSensitivity.None, $"Trial {index} {TrialKey.Of(parameters)}: same configuration already finished in {source}; copied, not re-run.");
        }
        store.WriteSummary();
    }

    LowRankLmTrainer.Options Budgeted()
    {
        var b = (baseline ?? new LowRankLmTrainer.Options()).Clone();
        if (trialSteps is not null || trialTokens is not null || trialSeconds is not null)
            b.Training = b.Training with { MaxSteps = trialSteps, MaxTokens = trialTokens, MaxSeconds = trialSeconds };
        // The seed in force, written out, so a trial's identity never depends on which MLContext runs it.
        b.Seed = HostSettings.SeedOf(ml, b.Seed);
        return b;
    }

    ITrialRunner Prepare(LowRankLmTrainer.Options budgeted)
    {
        if (shards is { } s)
            return new TrialRunner(ml, null, s.Train, s.Validation, s.Train.Tokenizer.VocabSize, MachinePeak.Float32FlopsPerSecond(Runtime.TorchRuntime.Device));
        // One tokenizer for every trial (so perplexities compare), and the tokenized sets cached once.
        var stage = ml.Transforms.Text.TokenizeForLanguageModel(budgeted.TokensColumnName, textColumn, tokenizer!).Fit(train!);
        var tokenizedTrain = ml.Data.Cache(stage.Transform(train!));
        var tokenizedValidation = ml.Data.Cache(stage.Transform(validation!));
        NativeHeap.Release(); // what training the tokenizer freed, so the first trial's peak is its own too
        return new TrialRunner(ml, stage, tokenizedTrain, tokenizedValidation, stage.Tokenizer.VocabSize, MachinePeak.Float32FlopsPerSecond(Runtime.TorchRuntime.Device));
    }
}
