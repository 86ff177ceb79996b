// The training loop: batches → loss → backward → clip → optimizer steps, with evaluation, history, time to threshold,
// memory sampling, progress and cancellation. Every tensor a step makes lives in that step's dispose scope.
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Training;

/// <summary>Trains a <see cref="Gpt"/> on a token stream.</summary>
public static class TrainingLoop
{
    /// <summary>Trains <paramref name="model"/> until the budget in <paramref name="options"/> is spent or the loss
    /// diverges, evaluating on <paramref name="validation"/>'s documents (a subset of about
    /// <see cref="TrainingOptions.EvalTokens"/> tokens spread over the set — the opening tokens of every document, at
    /// least one context each — scored as the final metric is: see <see cref="ValidationDocuments"/>).</summary>
    /// <param name="bytesPerToken">UTF-8 bytes of each token id (special tokens 0), for bits per byte.</param>
    /// <param name="onStep">Called after every step with its record (for example a
    /// <see cref="TensorBoardWriter"/>).</param>
    public static TrainingResult Train(Gpt model, TokenStream train, TokenStream? validation,
        IReadOnlyList<int> bytesPerToken,
        TrainingOptions options, IProgress<TrainingProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancellationToken = default,
        Action<StepRecord>? onStep = null)
    {
        options.Validate();
        if (bytesPerToken.Count < model.Config.VocabSize)
            throw new ArgumentException($"bytesPerToken has {bytesPerToken.Count} entries; the vocabulary " +
                $"has {model.Config.VocabSize}.", nameof(bytesPerToken));
        IValidationEvaluator? evaluator = null;
        if (validation is not null)
        {
            CheckTokens(validation, model.Config.VocabSize, "validation");
            if (validation.DocumentCount == 0)
                throw new ArgumentException("The validation set has no tokens. Add held-out text, or pass no " +
                    "validation set.", nameof(validation));
            evaluator = ValidationDocuments.FromStream(validation, bytesPerToken, options.EvalTokens,
                minimumPrefix: model.Config.SequenceLength);
        }
        return Train(model, train, evaluator, options, progress, log, cancellationToken, onStep);
    }

    /// <summary>Trains <paramref name="model"/> until the budget in <paramref name="options"/> is spent or the loss
    /// diverges.</summary>
    /// <param name="model">The model, trained in place.</param>
    /// <param name="train">Training stream.</param>
    /// <param name="validation">What periodic evaluations and time to threshold measure, or null to skip
    /// evaluation.</param>
    /// <param name="options">Budget, optimizer and schedule.</param>
    /// <param name="progress">Receives a snapshot every <see cref="TrainingOptions.ReportEvery"/> steps.</param>
    /// <param name="log">Receives human-readable lines (start, evaluations, end).</param>
    /// <param name="cancellationToken">Checked before every step; cancellation writes a checkpoint (when
    /// <see cref="TrainingOptions.CheckpointPath"/> is set) and throws <see cref="OperationCanceledException"/> after
    /// the current step, leaving the model in its last updated state.</param>
    /// <param name="onStep">Called after every step with its record.</param>
    public static TrainingResult Train(Gpt model, TokenStream train, IValidationEvaluator? validation,
        TrainingOptions options, IProgress<TrainingProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancellationToken = default,
        Action<StepRecord>? onStep = null)
    {
        options.Validate();
        var config = model.Config;
        options.ValidateFor(config.SequenceLength);
        CheckTokens(train, config.VocabSize, "training");
        var batcher = new SequenceBatcher(train, config.SequenceLength, options.BatchSize, options.DataSeed ?? 1);
        if (options.Threads is int threads) torch.set_num_threads(threads);

        var parallel = DataParallel.For(options);
        if (parallel is not null && model.Device.type != DeviceType.CPU)
            throw new NotSupportedException($"Data-parallel training all-reduces gradients in CPU memory through " +
                $"OpenMPI; this model is on {model.Device}. A multi-GPU run needs a CUDA-aware OpenMPI or NCCL, " +
                $"which this build does not bind: run the ranks on the CPU (MLContext without GpuDeviceId), or one " +
                $"process per GPU without mpirun.");
        if (parallel is { IsRoot: false }) (progress, log, onStep) = (null, null, null);   // rank 0 alone reports
        var optimizers = options.Optimizer.Create(model, options);
        try
        {
            return Run(model, batcher, train, validation, options, optimizers, progress, log, onStep,
                cancellationToken, parallel);
        }
        catch (Exception e) when (parallel is not null && e is not OperationCanceledException
            && e is not ArgumentException)
        {
            // One rank failing alone (a checkpoint it could not write, memory) would leave the others waiting in the
            // next all-reduce: end the world. Stops every rank agrees on (cancellation) and refusals every rank makes
            // before step 1 (ArgumentException) end all of them anyway.
            Console.Error
                .WriteLine($"lowrank: data-parallel rank {parallel.Rank} failed " +
                $"({e.GetType().Name}: {e.Message.Split('\n')[0]}); ending every rank.");
            parallel.Abort();
            throw;
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
        }
    }

    static TrainingResult Run(Gpt model, SequenceBatcher batcher, TokenStream train, IValidationEvaluator? validation,
        TrainingOptions o, IReadOnlyList<IParameterOptimizer> optimizers, IProgress<TrainingProgress>? progress,
        Action<string>? log, Action<StepRecord>? onStep, CancellationToken ct,
        DataParallel? parallel = null)
    {
        // Data-parallel ranks evaluate nothing (rank 0 does) and write nothing.
        if (parallel is { IsRoot: false }) validation = null;
        var config = model.Config;
        int seq = config.SequenceLength, batch = o.BatchSize;
        long tokensPerStep = (long)seq * batch * o.GradientAccumulationSteps;
        long parameterCount = model.parameters().Sum(p => p.numel());
        if (optimizers.Sum(x => x.ParameterCount) != parameterCount)
            throw new InvalidOperationException($"Optimizer factory '{o.Optimizer.Name}' " +
                $"covers {optimizers.Sum(x => x.ParameterCount):N0} parameter values; the model " +
                $"has {parameterCount:N0}.");
        double statePerParameter = optimizers.Sum(x => x.StatePerParameter * x.ParameterCount) / parameterCount;
        long stateBytes = ModelSummary.For(config).StateBytes(statePerParameter);
        var trainingStep = new TrainingStep(model, optimizers, o);
        var schedule = o.Schedule;
        // A loss far above a uniform guess's ln V is a run that has left the rails (the soft-capped logits bound the
        // cross-entropy by ln V + 2·cap, so an absolute limit like 100 could never be reached).
        double divergenceLimit = Math.Min(o.DivergenceLoss, Math.Log(config.VocabSize) + o.DivergenceMargin);
        // An exactly zero gradient after the first step means a dead network: activations overflowed inside an RMS
        // norm (x² = Inf, so x·rsqrt(Inf) = 0), the logits went uniform, and nothing can learn any more.
        bool Diverged(double loss, double gradNorm, int stepIndex) =>
            !double.IsFinite(loss) || loss > divergenceLimit || !double.IsFinite(gradNorm)
            || (stepIndex >= 1 && gradNorm == 0);
        string? fingerprint = o.CheckpointPath is null ? null : Checkpoint.Fingerprint(model, o, train, validation);

        var c = new TrainingCounters { PeakResidentBytes = ProcessMemory.ResidentBytes() };
        // A fresh run never overwrites a checkpoint it did not write: that file is somebody's progress.
        if (!o.Resume && o.CheckpointPath is { } existing && File.Exists(existing))
            throw new InvalidOperationException($"Checkpoint '{existing}' already exists. Set Resume = true (CLI " +
                $"--resume) to continue it, or delete it or choose another path to start over.");
        if (o.Resume && File.Exists(o.CheckpointPath))
        {
            c = Checkpoint.Read(o.CheckpointPath!,
                fingerprint!, () => Checkpoint.FingerprintVersion1(model, o, train, validation), model, optimizers,
                o.ResumeWithChangedOptions, out var changes);
            if (changes is not null)
                log?.Invoke($"Resumed with changed training options ({changes}): the run is no longer one " +
                    $"uninterrupted run.");
            batcher.Restore(c.Epoch, c.Cursor);
            log?.Invoke($"Resumed from {o.CheckpointPath} at " +
                $"step {c.Step} ({c.Tokens:N0} tokens, {c.TrainSeconds:F1} s of training).");
        }
        else log?.Invoke($"Training: batch {batch}×{seq} tokens{(o.GradientAccumulationSteps > 1 ? $" × {o.GradientAccumulationSteps} accumulated" : "")}, optimizer {o.Optimizer.Name}, budget {Budget(o)}.");
        model.train();
        var status = TrainingStatus.Completed;
        string? message = null;
        var garbage = new GarbageBudget();
        int lastCheckpointStep = c.Step;
        double lastCheckpointSeconds = c.TrainSeconds;

        if (parallel is not null)
        {
            parallel.CheckSameStart(model, o, batch, train.Identity);
            log?.Invoke($"Data-parallel over {parallel.Size} ranks: each computes {batch / parallel.Size} of every " +
                $"batch's {batch} sequences; gradients averaged in one all-reduce per step.");
        }
        bool stopAgreed = false;

        void Save()
        {
            if (o.CheckpointPath is null || parallel is { IsRoot: false }) return;
            (c.Epoch, c.Cursor) = (batcher.Epoch, batcher.Cursor);
            Checkpoint.Write(o.CheckpointPath, fingerprint!, model, optimizers, c);
            (lastCheckpointStep, lastCheckpointSeconds) = (c.Step, c.TrainSeconds);
        }

        while (Fraction(o, c.Step, c.Tokens, c.TrainSeconds) < 1)
        {
            if (o.PauseAtStep is int pauseAt && c.Step >= pauseAt) // resumed at (or past) the pause: nothing to do
            {
                status = TrainingStatus.Paused;
                message = $"Paused at step {c.Step}.";
                break;
            }
            // Under data parallelism the ranks stop on the flag they agreed after the last step, never on their own.
            if (parallel is null ? ct.IsCancellationRequested : stopAgreed)
            {
                Save();
                string where = o.CheckpointPath is null
                    ? "no checkpoint was asked for (set CheckpointPath to make runs resumable)" : $"checkpoint " +
                    $"written to {o.CheckpointPath}; resume with Resume = true (CLI: --resume)";
                log?.Invoke($"Interrupted after step {c.Step}: {where}.");
                throw new OperationCanceledException($"Training interrupted after step {c.Step}: {where}.", ct);
            }
            int step = c.Step;
            double lrFactor = schedule.FactorAt(step, Fraction(o, step, c.Tokens, c.TrainSeconds));
            long start = o.Clock.GetTimestamp();
            double loss, gradNorm;
            using (var scope = torch.NewDisposeScope())
            {
                // k micro-batches, each back-propagated at 1/k: the gradient of the mean over all k·batch sequences.
                int k = o.GradientAccumulationSteps;
                loss = 0;
                var (first, rows) = parallel?.Rows(batch) ?? (0, batch);
                for (int micro = 0; micro < k; micro++)
                {
                    batcher.Next();   // the whole global batch, on every rank: the data order does not depend on the ranks
                    var x = torch.tensor(batcher.Inputs, batch, seq, device: model.Device).narrow(0, first, rows);
                    var y = torch.tensor(batcher.Targets, batch, seq, device: model.Device).narrow(0, first, rows);
                    loss += trainingStep.Backward(x, y, 1.0 / k) / k;
                }
                if (parallel is not null)
                {
                    parallel.AverageGradients(trainingStep.Parameters);
                    loss = parallel.AverageLoss(loss);
                }
                // The global gradient norm, clipped when asked (an infinite bound measures without clipping). A model
                // can blow up without a NaN loss — huge activations overflow inside an RMS norm and the logits collapse
                // to uniform — but its gradients then stop being finite, or vanish. Both are looked at before the
                // update: a diverged step never reaches the weights or the optimizer state, so the model left is the
                // last good one.
                gradNorm = trainingStep.ClipGradients();
                if (Diverged(loss, gradNorm, step)) trainingStep.Discard();
                else trainingStep.Apply(step, lrFactor);
            }
            double seconds = o.Clock.GetElapsedTime(start).TotalSeconds;
            if (parallel is not null)
                (seconds,
                    stopAgreed) = parallel.Agree(seconds,
                    ct.IsCancellationRequested);   // same clock, same stop, every rank
            c.Step = ++step;
            c.Tokens += tokensPerStep;
            c.TrainSeconds += seconds;
            if (step > 1) { c.SteadySeconds += seconds; c.SteadyTokens += tokensPerStep; }
            garbage.CollectIfSpent();
            c.PeakResidentBytes = Math.Max(c.PeakResidentBytes, ProcessMemory.ResidentBytes());

            bool diverged = Diverged(loss, gradNorm, step - 1);
            bool last = diverged || Fraction(o, step, c.Tokens, c.TrainSeconds) >= 1;
            bool pausing = !last && o.PauseAtStep is int pause && step >= pause;
            EvalResult? eval = null;
            if (validation is not null && !diverged
                && (last || pausing || (o.EvalEvery > 0 && step % o.EvalEvery == 0)))
            {
                long evalStart = o.Clock.GetTimestamp();
                eval = validation.Evaluate(model);
                c.EvalSeconds += o.Clock.GetElapsedTime(evalStart).TotalSeconds;
                c.LastEval = eval;
                if (c.Reached is null && o.ThresholdPerplexity is double threshold && eval.Perplexity <= threshold)
                    c.Reached = new ThresholdReached(c.TrainSeconds, step, c.Tokens);
                log?.Invoke($"step {step}: validation loss {eval.CrossEntropy:F4} nats/token, " +
                    $"perplexity {eval.Perplexity:F3}, {eval.BitsPerByte:F4} bits/byte");
            }
            double tps = c.Tokens / Math.Max(c.TrainSeconds, 1e-9);
            var record = new StepRecord(step, c.Tokens, c.TrainSeconds, c.EvalSeconds, loss, eval?.CrossEntropy,
                eval?.Perplexity, eval?.BitsPerByte, lrFactor, tps, gradNorm);
            c.History.Add(record);
            onStep?.Invoke(record);

            if (diverged)
            {
                status = TrainingStatus.Diverged;
                string good = o.CheckpointPath is not null && File.Exists(o.CheckpointPath)
                    ? $" The last good checkpoint is {o.CheckpointPath} (step {lastCheckpointStep})." : "";
                message = $"Training diverged at step {step}: loss {loss}, gradient norm {gradNorm} (a NaN or " +
                    $"infinite value, an all-zero gradient of a dead network, or a loss above {divergenceLimit:F2} = " +
                    $"ln V + DivergenceMargin {o.DivergenceMargin} or DivergenceLoss {o.DivergenceLoss}); that step " +
                    $"was not applied, so the model is the one after step {step - 1}. Lower the learning rates " +
                    $"(resuming from a checkpoint with other training options needs ResumeWithChangedOptions, CLI " +
                    $"--allow-changed-options) or raise DivergenceMargin.{good}";
                log?.Invoke(message);
                break;
            }
            if (last || pausing || (o.CheckpointEverySteps > 0 && step - lastCheckpointStep >= o.CheckpointEverySteps)
                || (o.CheckpointEverySeconds > 0 && c.TrainSeconds - lastCheckpointSeconds >= o.CheckpointEverySeconds))
                Save();
            if ((progress is not null || log is not null) && (step % o.ReportEvery == 0 || last || pausing))
            {
                double fraction = Math.Min(1, Fraction(o, step, c.Tokens, c.TrainSeconds));
                var remaining = TimeSpan.FromSeconds(fraction > 0 ? c.TrainSeconds / fraction * (1 - fraction) : 0);
                var snapshot = new TrainingProgress(step, c.Tokens, loss, c.LastEval?.CrossEntropy, tps, fraction,
                    remaining);
                progress?.Report(snapshot);
                log?.Invoke(snapshot.ToString());
            }
            if (pausing)
            {
                status = TrainingStatus.Paused;
                message = $"Paused at step {step}" + (o.CheckpointPath is null
                    ? " (no CheckpointPath: the run cannot be continued)." : $"; continue from {o.CheckpointPath} with Resume.");
                log?.Invoke(message);
                break;
            }
        }

        if (parallel is not null)
            log?.Invoke($"Data-parallel over {parallel.Size} ranks: the gradient all-reduce took {parallel.AllReduceSeconds:F1} s, {100 * parallel.AllReduceSeconds / Math.Max(c.TrainSeconds, 1e-9):F1} % of the training time.");
        return new TrainingResult
        {
            Status = status,
            DataParallelRanks = parallel?.Size ?? 1,
            AllReduceSeconds = parallel?.AllReduceSeconds ?? 0,
            Message = message,
            History = c.History,
            LastPeriodicValidation = c.LastEval,
            TimeToThreshold = c.Reached,
            TrainSeconds = c.TrainSeconds,
            EvalSeconds = c.EvalSeconds,
            Tokens = c.Tokens,
            TokensPerSecond = c.SteadySeconds > 0 ? c.SteadyTokens / c.SteadySeconds : c.Tokens / Math.Max(c.TrainSeconds, 1e-9),
            PeakResidentBytes = c.PeakResidentBytes,
            StateBytes = stateBytes,
            OptionChanges = c.OptionChanges,
        };
    }

    /// <summary>The largest fraction of any budget spent.</summary>
    static double Fraction(TrainingOptions o, int step, long tokens, double seconds)
    {
        double f = 0;
        if (o.MaxSteps is int s) f = Math.Max(f, (double)step / s);
        if (o.MaxTokens is long t) f = Math.Max(f, (double)tokens / t);
        if (o.MaxSeconds is double sec) f = Math.Max(f, seconds / sec);
        return f;
    }

    static string Budget(TrainingOptions o) => string.Join(", ", new[]
    {
        o.MaxSteps is { } s ? $"{s} steps" : null,
        o.MaxTokens is { } t ? $"{t:N0} tokens" : null,
        o.MaxSeconds is { } sec ? $"{sec:0.#} s" : null,
    }.Where(x => x is not null));

    static void CheckTokens(TokenStream stream, int vocab, string which)
    {
        if (stream.MaxTokenId >= vocab)
            throw new ArgumentException($"The {which} stream holds token id {stream.MaxTokenId}, outside the model's vocabulary of {vocab}. Tokenize with the model's tokenizer or raise VocabSize.");
    }
}
