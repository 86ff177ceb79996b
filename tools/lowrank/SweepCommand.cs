// `lowrank sweep`: run (this shard of) a sweep into a run directory, or write the sbatch script that runs it as a
// Slurm job array. Re-running the same command resumes: finished trials are skipped.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Cli;

static class SweepCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config")
        {
            Description = "Sweep config JSON (corpus, tokenizer, baseline, searchSpace, tuner, budgets); see the " +
                "README.",
        };
        var runDir = new Option<DirectoryInfo>("--run-dir")
        {
            Description = "Run directory: trial records, summaries, report. Re-running resumes it.",
            Required = true,
        };
        var param = new Option<string[]>("--param")
        {
            Description = "Search dimension Name=v1,v2,... (repeatable; adds to the config's).",
            AllowMultipleArgumentsPerToken = true,
        };
        var tuner = new Option<string?>("--tuner")
        {
            Description = "one-at-a-time, grid, random:N[:seed], or local:N[:seed] (adaptive, one process) " +
                "(overrides the config).",
        };
        var ashaMin = new Option<int?>("--asha-min-steps")
        {
            Description = "Stop hopeless trials early: successive halving with a first rung of this many steps (η 3; " +
                "needs --trial-steps).",
        };
        var shardsOption = new Option<DirectoryInfo?>("--shards")
        {
            Description = "Sweep on token shards (lowrank tokenize) instead of the config's corpus; their manifest's " +
                "tokenizer is used.",
        };
        var logdir = new Option<DirectoryInfo?>("--logdir")
        {
            Description = "TensorBoard runs, one sub-directory per trial (overrides the config's logDirectory).",
        };
        var objective = new Option<string?>("--objective")
        {
            Description = "What the best trial minimises: perplexity, bitsPerByte, secondsToThreshold, " +
                "tokensToThreshold.",
        };
        var trialSeconds = new Option<double?>("--trial-seconds")
        {
            Description = "Training seconds per trial (overrides the config).",
        };
        var trialSteps = new Option<int?>("--trial-steps") { Description = "Steps per trial (overrides the config)." };
        var shard = new Option<string?>("--shard")
        {
            Description = "Run shard i/n of the trials (default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, else " +
                "all).",
        };
        var emit = new Option<FileInfo?>("--emit-sbatch")
        {
            Description = "Write an sbatch job-array script for this sweep instead of running it.",
        };
        var tasks = new Option<int>("--tasks")
        {
            Description = "Array size for --emit-sbatch.",
            DefaultValueFactory = _ => 4,
        };
        var time = new Option<string>("--time-per-task")
        {
            Description = "Slurm time limit per task (hh:mm:ss).",
            DefaultValueFactory = _ => "04:00:00",
        };
        var mem = new Option<int>("--mem-gb") { Description = "Memory per task in GB.", DefaultValueFactory = _ => 8 };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task.", DefaultValueFactory = _ => 2 };
        var ranks = new Option<int>("--ranks-per-trial")
        {
            Description = "With --emit-sbatch: each array task runs as this many MPI ranks (srun --mpi=pmix), which " +
                "train every trial data-parallel.",
            DefaultValueFactory = _ => 1,
        };
        var list = new Option<bool>("--list") { Description = "Print the trial list and exit." };

        var command =
            new Command("sweep", "Run a sweep of trials (one-at-a-time scans, grid, random) into a run directory; " +
            "resumable and shardable.\n" +
            "Example: lowrank sweep --config sweep.json --run-dir runs/ranks\n" +
            "Cluster: lowrank sweep --config sweep.json --run-dir /shared/runs/ranks --emit-sbatch ranks.sbatch " +
            "--tasks 8; sbatch ranks.sbatch; lowrank report /shared/runs/ranks")
        {
            config, runDir, param, tuner, ashaMin, objective, logdir, shardsOption, trialSeconds, trialSteps, shard,
                emit, tasks, time, mem, cpus, ranks, list,
        };
        command.SetAction(async (parse, ct) =>
        {
            // The config, then the flags on top of it: the effective spec is what runs, and what a job array's tasks
            // read.
            var spec = parse.GetValue(config) is { } file ? ExperimentSpec.Load(file.FullName) : new ExperimentSpec();
            foreach (var p in parse.GetValue(param) ?? [])
            {
                var (name, values) = TrainCommand.SplitAssignment(p);
                spec.SearchSpace.Add(name, values.Split(','));
            }
            if (parse.GetValue(tuner) is { } tunerText) (spec.Tuner, spec.Trials) = (tunerText, null);
            if (parse.GetValue(ashaMin) is int min) spec.EarlyStopping = new SuccessiveHalvingOptions(min);
            if (parse.GetValue(objective) is { } obj) spec.Objective = ExperimentSpec.ParseObjective(obj);
            if (parse.GetValue(logdir) is { } logs) spec.LogDirectory = logs.FullName;
            if (parse.GetValue(shardsOption) is { } shardFolder) spec.Shards = shardFolder.FullName;
            if (parse.GetValue(trialSeconds) is not null || parse.GetValue(trialSteps) is not null)
                spec.TrialBudget = new TrialBudget(parse.GetValue(trialSteps) ?? spec.TrialBudget?.Steps,
                    spec.TrialBudget?.Tokens,
                    parse.GetValue(trialSeconds) ?? spec.TrialBudget?.Seconds);
            string dir = parse.GetValue(runDir)!.FullName;
            if (spec.KeepFormerEvalTokensDefault(dir))
                Console.WriteLine($"{dir} was made when a sweep config without \"evalTokens\" evaluated on 32,768 " +
                    $"tokens (the option's default is 65,536): resuming it with 32,768. Add \"evalTokens\" to the " +
                    $"config to choose.");
            var ml = new MLContext(seed: 1);
            var experiment = spec.Configure(ml.LowRank().CreateExperiment())
                .SetResultDirectory(dir)
                .SetMonitor(new SynchronousProgress<ExperimentProgress>(Console.WriteLine));

            var trials = spec.IsAdaptive ? [] : experiment.PlanTrials();
            if (spec.IsAdaptive && (parse.GetValue(list) || parse.GetValue(emit) is not null))
                throw new ArgumentException("An adaptive tuner (local:N) proposes trials from results: there is no " +
                    "list to print or to shard over a job array. Use grid or random (with --asha-min-steps to stop " +
                    "early).");
            if (parse.GetValue(list))
            {
                foreach (var (index, id, p) in trials) Console.WriteLine($"{index}\t{id}\t{TrialKey.Of(p)}");
                return 0;
            }
            if (parse.GetValue(emit) is { } script)
            {
                if (parse.GetValue(config) is null)
                    throw new ArgumentException("--emit-sbatch needs --config: every array task reads the same sweep " +
                        "file.");
                if (Path.GetFullPath(script.FullName) == Path.GetFullPath(parse.GetValue(config)!.FullName))
                    throw new ArgumentException($"--emit-sbatch {script.FullName} is the sweep config itself " +
                        $"(--config): writing the script there would replace the config. Name another file, e.g. " +
                        $"sweep.sbatch.");
                // Every task reads the effective spec (the config with this command's flags, every option written out
                // and every path made absolute) from the run directory, so no flag is rebuilt here by hand.
                Directory.CreateDirectory(dir);
                string effective = Path.Combine(dir, "sweep-spec.json");
                if (!spec.Corpus.Equals("brown", StringComparison.OrdinalIgnoreCase))
                    spec.Corpus = Path.GetFullPath(spec.Corpus);
                spec.Save(effective, everyOption: true);
                string self = typeof(SweepCommand).Assembly.Location;
                string Q(string v) => JobArray.ShellQuote(v);
                string run = $"{(parse.GetValue(ranks) > 1 ? "srun --mpi=pmix " : "")}dotnet {Q(self)} sweep " +
                    $"--config {Q(effective)} --run-dir {Q(dir)}";
                // Slurm opens each task's --output file before the script runs, so the log folder must exist now.
                Directory.CreateDirectory(Path.Combine(dir, "logs"));
                File.WriteAllText(script.FullName,
                    JobArray.SbatchScript("lowrank-sweep", parse.GetValue(tasks), run, dir,
                    TimeSpan.Parse(parse.GetValue(time)!, CultureInfo.InvariantCulture), parse.GetValue(mem),
                    parse.GetValue(cpus), parse.GetValue(ranks)));
                Console.WriteLine($"wrote {script.FullName} and {effective}: {trials.Count} trials " +
                    $"over {parse.GetValue(tasks)} array tasks. Submit with: sbatch {script.FullName}");
                return 0;
            }

            var (shardIndex, shardCount) = JobArray.ResolveShard(parse.GetValue(shard));
            experiment.SetShard(shardIndex, shardCount);
            using var shardTrain = spec.Shards is { } shardDir ? ml.LowRank().Data.LoadTokenShards(shardDir, "train")
                : null;
            using var shardValidation = shardTrain is null ? null : ml.LowRank().Data.LoadTokenShards(shardTrain.Directory, "validation");
            if (shardTrain is not null) experiment.SetDataset(shardTrain, shardValidation!);
            else
            {
                var split = CorpusOption.LoadSplit(ml, spec.Corpus, spec.TextField, spec.ValidationFraction);
                experiment.SetDataset(split.Train, split.Validation ?? throw new ArgumentException("A sweep compares trials on held-out text: validationFraction must be above 0."));
            }
            var results = await experiment.RunAsync(ct);
            Console.WriteLine($"{results.Count} trials recorded in {dir}" + (results.BestTrial is { } b ? $"; best by {results.Objective}: trial {b.Index} {TrialKey.Of(b.Parameters)}" : "") + $". Report: lowrank report {dir}");
            if (results.EarlyStopping is { } summary) Console.WriteLine($"Successive halving: {summary}");
            return 0;
        });
        return command;
    }
}
