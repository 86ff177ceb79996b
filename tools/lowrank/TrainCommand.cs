// `lowrank train`: one model through the ML.NET pipeline (tokenizer → LowRankLm) on a corpus, with progress, a final
// RESULT line, and optionally the saved model zip.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var corpus = CorpusOption.Corpus();
        var textField = CorpusOption.TextField();
        var fraction = CorpusOption.ValidationFraction();
        var validationCorpus = CorpusOption.ValidationCorpus();
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = LmTokenizer.NameHelp,
            DefaultValueFactory = _ => LmTokenizer.DefaultName,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Trainer option Name=value, repeatable (Depth, ModelDim, HeadDim, SequenceLength, " +
                "BatchSize, AttentionRank, MlpRank, HeadRank, Variant, Init, Optimizer, MatrixLearningRate, ...). " +
                "Ranks: an integer, a fraction, dense, or Linear:8:64 etc.",
            AllowMultipleArgumentsPerToken = true,
        };
        // The budget and evaluation flags are other names for options of the table: their defaults are the options'.
        var steps = new OptionFlag<int?>("--steps", nameof(TrainingOptions.MaxSteps), "Budget in steps.");
        var seconds = new OptionFlag<double?>("--seconds",
            nameof(TrainingOptions.MaxSeconds), "Budget in training seconds (evaluation excluded). Default 60 when " +
            "no budget (--steps, --tokens, --seconds, --set MaxTokens=…) is given.");
        var tokens = new OptionFlag<long?>("--tokens",
            nameof(TrainingOptions.MaxTokens), "Budget in training tokens (the run stops at the first step that " +
            "reaches it).");
        var evalEvery = new OptionFlag<int>("--eval-every",
            nameof(TrainingOptions.EvalEvery), "Evaluate every N steps (0 = only at the end).");
        var evalTokens = new OptionFlag<int>("--eval-tokens",
            nameof(TrainingOptions.EvalTokens), "Validation tokens per periodic evaluation (0 = all).");
        var threshold = new OptionFlag<double?>("--threshold",
            nameof(TrainingOptions.ThresholdPerplexity), "Validation perplexity for time-to-threshold.");
        var reportEvery = new Option<int?>("--report-every")
        {
            Description = "Print progress (step, loss, tokens/s, time left) every N steps. Default 5 on a terminal, " +
                "25 otherwise.",
        };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: torch's)." };
        var save = new Option<FileInfo?>("--save")
        {
            Description = "Save the fitted pipeline (tokenizer + model) to this zip.",
        };
        var historyCsv = new Option<FileInfo?>("--history-csv") { Description = "Write the per-step history here." };
        var checkpoint = new Option<FileInfo?>("--checkpoint")
        {
            Description = "Checkpoint file: written every --checkpoint-every steps, at the end, and on Ctrl-C/SIGTERM.",
        };
        var checkpointEvery = new Option<int>("--checkpoint-every")
        {
            Description = "Steps between checkpoints.",
            DefaultValueFactory = _ => 100,
        };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue from --checkpoint (same corpus, tokenizer and options); identical to an " +
                "uninterrupted run. Without it an existing checkpoint is refused, not overwritten.",
        };
        var allowChanged = new Option<bool>("--allow-changed-options")
        {
            Description = "With --resume: continue a checkpoint written with other training options (e.g. a lower " +
                "learning rate after a divergence); the changes are logged and recorded, and the run is no longer " +
                "one uninterrupted run.",
        };
        var startIfMissing = new Option<bool>("--start-if-missing")
        {
            Description = "With --resume: start from scratch when the checkpoint does not exist yet (for a job that " +
                "runs the same command until it finishes).",
        };
        var shards = new Option<DirectoryInfo?>("--shards")
        {
            Description = "Train on token shards written by `lowrank tokenize` (read from disk as needed; their " +
                "manifest names the tokenizer) instead of --corpus.",
        };
        var logdir = new Option<DirectoryInfo?>("--logdir")
        {
            Description = "Write TensorBoard event files here (loss, LR factor, gradient norm, tokens/s, validation " +
                "perplexity and bits per byte); watch with tensorboard --logdir.",
        };

        var command =
            new Command("train", "Train one model through the ML.NET pipeline; the held-out documents give " +
            "validation loss and the final metrics.\n" +
            "Example: lowrank train --tokenizer bpe:4096 --set Variant=Factored AttentionRank=32 MlpRank=64 " +
            "--seconds 300 --save model.zip")
        {
            corpus, textField, fraction, validationCorpus, tokenizer, set, steps.Flag, tokens.Flag, seconds.Flag,
                evalEvery.Flag, evalTokens.Flag,
            reportEvery, threshold.Flag, threads, save, historyCsv,
            checkpoint, checkpointEvery, resume, startIfMissing, allowChanged, logdir, shards,
        };
        command.SetAction((parse, ct) => Task.Run(() =>
        {
            var options = new LowRankLmTrainer.Options
            {
                Training = new TrainingOptions
                {
                    Threads = parse.GetValue(threads),
                    ReportEvery = parse.GetValue(reportEvery) ?? (LiveProgress.IsLive ? 5 : 25),
                        CheckpointEverySteps = parse.GetValue(checkpointEvery),
                    CheckpointPath = parse.GetValue(checkpoint)?.FullName, Resume = parse.GetValue(resume),
                        ResumeWithChangedOptions = parse.GetValue(allowChanged),
                },
                CancellationToken = ct, LogDirectory = parse.GetValue(logdir)?.FullName,
            };
            steps.ApplyTo(options, parse);
            tokens.ApplyTo(options, parse);
            seconds.ApplyTo(options, parse);
            evalEvery.ApplyTo(options, parse);
            evalTokens.ApplyTo(options, parse);
            threshold.ApplyTo(options, parse);
            if (parse.GetValue(reportEvery) is < 1 and var every)
                throw new ArgumentException($"--report-every must be at least 1 (a progress line every N steps); " +
                    $"got {every}.");
            if (options.Training.Resume && options.Training.CheckpointPath is null)
                throw new ArgumentException("--resume needs --checkpoint: the file to resume from.");
            if (options.Training is { Resume: true,
                CheckpointPath: { } path } && !File.Exists(path) && !parse.GetValue(startIfMissing))
                throw new FileNotFoundException($"--resume: there is no checkpoint at {path} to continue. Run " +
                    $"without --resume to start, or add --start-if-missing.", path);
            if (!options.Training.Resume && options.Training.CheckpointPath is { } existing && File.Exists(existing))
                throw new InvalidOperationException($"--checkpoint {existing} already exists: add --resume to " +
                    $"continue it, or delete it or choose another file to start over.");
            OutputFile.Check(parse.GetValue(save), "--save");
            OutputFile.Check(parse.GetValue(historyCsv), "--history-csv");
            foreach (var assignment in parse.GetValue(set) ?? [])
            {
                var (name, value) = SplitAssignment(assignment);
                TrialParameters.Set(options, name, value);
            }
            // The 60-second default applies only when no budget was given in any form (--steps, --tokens, --seconds,
            // --set MaxTokens=…).
            if (options.Training is { MaxSteps: null, MaxSeconds: null, MaxTokens: null })
                options.Training = options.Training with { MaxSeconds = 60 };
            var tokenizerFactory = LmTokenizer.Parse(parse.GetValue(tokenizer)!);

            var ml = new MLContext(seed: options.Seed ?? 1);
            // Either raw text (tokenized by the pipeline's first stage) or token shards (already tokenized, read from
            // disk as needed).
            IDataView trainData;
            IDataView? validationData;
            Func<ITransformer> fit;
            using var shardTrain = parse.GetValue(shards) is { } shardDir ? ml.LowRank().Data.LoadTokenShards(shardDir.FullName, "train") : null;
            using var shardValidation = shardTrain is null ? null : ml.LowRank().Data.LoadTokenShards(shardTrain.Directory, "validation");
            if (shardTrain is not null)
            {
                (trainData, validationData) = (shardTrain, shardValidation!);
                fit = () => ml.LowRank().Trainers.LowRankLm(options).Fit(shardTrain);
            }
            else
            {
                var split = CorpusOption.LoadSplit(ml, parse.GetValue(corpus)!, parse.GetValue(textField)!, parse.GetValue(fraction), parse.GetValue(validationCorpus));
                (trainData, validationData) = (split.Train, split.Validation);
                fit = () => ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", tokenizerFactory).Append(ml.LowRank().Trainers.LowRankLm(options)).Fit(split.Train);
            }
            options.ValidationSet = validationData;
            // Launched as one of several MPI ranks (mpirun -n N, srun -n N): data-parallel training, and rank 0 alone
            // prints, evaluates and writes (the model it saves is every rank's model).
            bool follower = options.Training.DataParallel != false && Runtime.Mpi.Launched && Runtime.Mpi.World.Rank != 0;
            ITransformer? model = LiveProgress.Run("train", (progress, print) =>
            {
                if (follower) return fit();
                // The trainer's log channel: evaluations, where a resume started, and — without a terminal to draw a
                // bar — the progress reports themselves (steps, tokens/s, loss, time left).
                options.Progress = progress;
                ml.Log += (_, e) =>
                {
                    if (e.Source != "LowRankLm" || e.Kind is not (Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning)) return;
                    if (LiveProgress.IsLive && e.RawMessage.StartsWith("step ", StringComparison.Ordinal) && e.RawMessage.Contains(" | ", StringComparison.Ordinal)) return; // the bar shows it
                    print($"  {e.RawMessage}");
                };
                try
                {
                    return fit();
                }
                catch (OperationCanceledException e)
                {
                    Console.Error.WriteLine(e.Message + (options.Training.CheckpointPath is null ? "" : " Run the same command with --resume to continue."));
                    return null;
                }
            });
            if (model is null) return 130;
            if (follower) return 0;
            var lm = model.GetLanguageModel();
            Console.WriteLine(lm.Summary);
            // Without a validation set (--validation-fraction 0) there is nothing held out to score: said, not
            // invented.
            var metrics = validationData is null ? null : ml.LowRank().Evaluate(model.Transform(validationData));
            Console.WriteLine(metrics is null ? "validation: none (--validation-fraction 0)" : $"validation: {metrics}");
            var t = lm.Training!;
            if (parse.GetValue(save) is { } zip)
                Console.WriteLine($"saved {OutputFile.WriteOrFallBack(zip.FullName, "--save", p => ml.LowRank().SaveModel(model, trainData.Schema, p))}");
            if (parse.GetValue(historyCsv) is { } file)
                OutputFile.WriteOrFallBack(file.FullName, "--history-csv", p => HistoryCsv.Write(p, t.History));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT status={t.Status} tokenizer={lm.Tokenizer.Name} params={lm.Summary.TotalParameters} non_embedding={lm.Summary.NonEmbeddingParameters} steps={t.History.Count} tokens={t.Tokens} train_s={t.TrainSeconds:F1} eval_s={t.EvalSeconds:F1} tokens_per_s={t.TokensPerSecond:F0} {(metrics is null ? "val_ppl=none val_bpb=none val_nats_per_byte=none" : string.Create(CultureInfo.InvariantCulture, $"val_ppl={metrics.Perplexity:F3} val_bpb={metrics.BitsPerByte:F4} val_nats_per_byte={metrics.NegLogLikelihood / metrics.ByteCount:F4}"))} time_to_threshold_s={t.TimeToThreshold?.TrainSeconds:F1} peak_rss_mb={t.PeakResidentBytes / 1048576.0:F0} state_mb={t.StateBytes / 1048576.0:F1}"));
            lm.Dispose();
            return t.Status == TrainingStatus.Completed ? 0 : 3;
        }, ct));
        return command;
    }

    public static (string Name, string Value) SplitAssignment(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"'{assignment}' is not Name=value.");
        return (assignment[..eq], assignment[(eq + 1)..]);
    }
}
