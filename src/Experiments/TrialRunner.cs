// The built-in trial runner: the baseline options with the trial's parameters and the per-trial budget, trained on the
// experiment's (already tokenized) data, evaluated on the whole validation set, summarised as a TrialResult. A run
// paused at a rung of successive halving is recorded with the periodic evaluation at the pause. A failure or divergence
// becomes a record, not an exception (a transient one, such as running out of memory, is marked so a rerun retries it);
// cancellation propagates (the trial is not recorded and will run again next time).
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments;

internal sealed class TrialRunner(MLContext ml, ITransformer? tokenizerStage, IDataView tokenizedTrain,
    IDataView tokenizedValidation, int vocabSize, double peakFlops) : ITrialRunner
{
    const int MaxCurvePoints = 400;

    public TrialResult Run(TrialContext context, CancellationToken ct)
    {
        // What a trial freed goes back to the system before the next one starts, so each trial's peak is its own and a
        // long sweep stays flat (the experiment releases once more after preparing the data, before the first trial).
        try { return Train(context, ct); }
        finally { NativeHeap.Release(); }
    }

    TrialResult Train(TrialContext context, CancellationToken ct)
    {
        var (index, id, parameters) = (context.Settings.Index, context.Settings.Id, context.Settings.Parameters);
        var baseline = context.Baseline;
        LowRankLmTrainer.Options options;
        ModelSummary? summary = null;
        try
        {
            options = TrialParameters.Apply(baseline, parameters);
            options.ValidationSet = tokenizedValidation;
            options.CancellationToken = ct;
            options.Progress = context.Progress;
            options.LogDirectory = context.LogDirectory;
            options.Training = options.Training with
            {
                CheckpointPath = context.CheckpointPath ?? options.Training.CheckpointPath,
                Resume = context.CheckpointPath is not null || options.Training.Resume,
                PauseAtStep = context.Settings.PauseAtStep,
            };
        }
        catch (ArgumentException e)
        {
            return Failed(index, id, parameters, TrialParameters.Describe(baseline), e, null);
        }
        var configuration = TrialParameters.Describe(options);
        try
        {
            // Counted from the configuration first, so even a trial that fails to train reports its size.
            summary = ModelSummary.For(options.ToConfig(vocabSize));
            var trainer = new LowRankLmTrainer(ml, options);
            using var model = trainer.Fit(tokenizedTrain);
            summary = model.Summary;
            var training = model.Training!;
            LanguageModelMetrics? metrics = training.Status == TrainingStatus.Completed
                ? LanguageModelEvaluator.Evaluate(model.Transform(tokenizedValidation))
                : null;
            if (context.ModelPath is not null && training.Status == TrainingStatus.Completed)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(context.ModelPath))!);
                // From token shards there is no tokenizer stage: the model alone (it carries its tokenizer) is the
                // pipeline.
                ITransformer saved = tokenizerStage is null ? model
                    : new TransformerChain<ITransformer>(tokenizerStage, model);
                ml.LowRank().SaveModel(saved, tokenizedTrain.Schema, context.ModelPath);
            }
            var record = Record(index, id, parameters, configuration, summary, training, metrics,
                options.Training.ThresholdPerplexity);
            if (context.LogDirectory is not null) LogTrial(context, record);
            return record;
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            return Failed(index, id, parameters, configuration, e, summary);
        }
    }

    TrialResult Record(int index, string id, IReadOnlyDictionary<string, string> parameters,
        IDictionary<string, string> configuration,
        ModelSummary s, TrainingResult t, LanguageModelMetrics? m, double? threshold)
    {
        int stride = Math.Max(1, t.History.Count / MaxCurvePoints);
        var curve = t.History.Where((h,
            i) => i % stride == 0 || i == t.History.Count - 1 || h.ValidationLoss is not null)
            .Select(h => new LossPoint(h.Step, h.Tokens, h.TrainSeconds, h.TrainLoss, h.ValidationLoss)).ToList();
        var paused = t.Status == TrainingStatus.Paused ? t.LastPeriodicValidation : null;
        return Base(index, id, parameters, configuration, s) with
        {
            Status = t.Status switch { TrainingStatus.Completed => TrialStatus.Completed,
                TrainingStatus.Paused => TrialStatus.Paused, _ => TrialStatus.Diverged },
            Error = t.Status == TrainingStatus.Paused ? null : t.Message,
            Perplexity = m?.Perplexity ?? paused?.Perplexity,
            BitsPerByte = m?.BitsPerByte ?? paused?.BitsPerByte,
            CrossEntropy = m?.CrossEntropy ?? paused?.CrossEntropy,
            SecondsToThreshold = t.TimeToThreshold?.TrainSeconds,
            StepsToThreshold = t.TimeToThreshold?.Step,
            TokensToThreshold = t.TimeToThreshold?.Tokens,
            ThresholdPerplexity = threshold,
            TokensPerSecond = t.TokensPerSecond,
            DataParallelRanks = t.DataParallelRanks,
            Mfu = s.FlopsPerToken * t.TokensPerSecond / peakFlops,
            PeakResidentBytes = t.PeakResidentBytes,
            StateBytes = t.StateBytes,
            TrainSeconds = t.TrainSeconds,
            EvalSeconds = t.EvalSeconds,
            Steps = t.History.Count,
            Tokens = t.Tokens,
            LossCurve = curve,
        };
    }

    /// <summary>The trial's hyper-parameters and final figures, beside the curves its training wrote.</summary>
    static void LogTrial(TrialContext context, TrialResult r)
    {
        using var board = new TensorBoardWriter(context.LogDirectory!);
        board.Text("trial", $"**{context.Settings}**: {r.Status}\n\n" + TensorBoardWriter
            .Table(context.Settings.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)), r.Steps);
        if (r.Perplexity is double ppl)
            board.Scalar(r.Status == TrialStatus.Completed ? "final/perplexity" : "rung/perplexity", ppl, r.Steps);
        if (r.BitsPerByte is double bpb)
            board.Scalar(r.Status == TrialStatus.Completed ? "final/bits_per_byte" : "rung/bits_per_byte", bpb,
                r.Steps);
        board.Scalar("final/non_embedding_parameters", r.NonEmbeddingParameters, r.Steps);
    }

    static TrialResult Failed(int index, string id, IReadOnlyDictionary<string, string> parameters,
        IDictionary<string, string> configuration, Exception e, ModelSummary? s) =>
        Base(index, id, parameters, configuration, s) with { Status = TrialStatus.Failed,
        Error = $"{e.GetType().Name}: {e.Message}", Transient = TrialFailure.IsTransient(e) };

    static TrialResult Base(int index, string id, IReadOnlyDictionary<string, string> parameters,
        IDictionary<string, string> configuration, ModelSummary? s) => new()
    {
        Id = id,
        Index = index,
        Parameters = new Dictionary<string, string>(parameters),
        Configuration = new Dictionary<string, string>(configuration),
        Status = TrialStatus.Failed,
        TotalParameters = s?.TotalParameters ?? 0,
        NonEmbeddingParameters = s?.NonEmbeddingParameters ?? 0,
        EmbeddingParameters = s?.EmbeddingParameters ?? 0,
        HeadParameters = s?.HeadParameters ?? 0,
        AttentionParameters = s?.AttentionParameters ?? 0,
        MlpParameters = s?.MlpParameters ?? 0,
        AttentionRanks = s?.Blocks.Select(b => b.AttentionRank).ToArray() ?? [],
        MlpRanks = s?.Blocks.Select(b => b.MlpRank).ToArray() ?? [],
        FlopsPerToken = s?.FlopsPerToken ?? 0,
        FinishedUtc = DateTime.UtcNow,
    };
}
