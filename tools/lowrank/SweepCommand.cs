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
        var config = new Option<FileInfo?>("--config") { Description = "Sweep config JSON (corpus, tokenizer, baseline, searchSpace, tuner, budgets); see the README." };
        var runDir = new Option<DirectoryInfo>("--run-dir") { Description = "Run directory: trial records, summaries, report. Re-running resumes it.", Required = true };
        var param = new Option<string[]>("--param") { Description = "Search dimension Name=v1,v2,... (repeatable; adds to the config's).", AllowMultipleArgumentsPerToken = true };
        var tuner = new Option<string?>("--tuner") { Description = "one-at-a-time, grid, random:N[:seed], or local:N[:seed] (adaptive, one process) (overrides the config)." };
        var ashaMin = new Option<int?>("--asha-min-steps") { Description = "Stop hopeless trials early: successive halving with a first rung of this many steps (η 3; needs --trial-steps)." };
        var shardsOption = new Option<DirectoryInfo?>("--shards") { Description = "Sweep on token shards (lowrank tokenize) instead of the config's corpus; their manifest's tokenizer is used." };
        var logdir = new Option<DirectoryInfo?>("--logdir") { Description = "TensorBoard runs, one sub-directory per trial (overrides the config's logDirectory)." };
        var objective = new Option<string?>("--objective") { Description = "What the best trial minimises: perplexity, bitsPerByte, secondsToThreshold, tokensToThreshold." };
        var trialSeconds = new Option<double?>("--trial-seconds") { Description = "Training seconds per trial (overrides the config)." };
        var trialSteps = new Option<int?>("--trial-steps") { Description = "Steps per trial (overrides the config)." };
        var shard = new Option<string?>("--shard") { Description = "Run shard i/n of the trials (default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, else all)." };
        var emit = new Option<FileInfo?>("--emit-sbatch") { Description = "Write an sbatch job-array script for this sweep instead of running it." };
        var tasks = new Option<int>("--tasks") { Description = "Array size for --emit-sbatch.", DefaultValueFactory = _ => 4 };
        var time = new Option<string>("--time-per-task") { Description = "Slurm time limit per task (hh:mm:ss).", DefaultValueFactory = _ => "04:00:00" };
        var mem = new Option<int>("--mem-gb") { Description = "Memory per task in GB.", DefaultValueFactory = _ => 8 };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task.", DefaultValueFactory = _ => 2 };
        var ranks = new Option<int>("--ranks-per-trial") { Description = "With --emit-sbatch: each array task runs as this many MPI ranks (srun --mpi=pmix), which train every trial data-parallel.", DefaultValueFactory = _ => 1 };
        var list = new Option<bool>("--list") { Description = "Print the trial list and exit." };

        var command = new Command("sweep", "Run a sweep of trials (one-at-a-time scans, grid, random) into a run directory; resumable and shardable.\n" +
            "Example: lowrank sweep --config sweep.json --run-dir runs/ranks\n" +
            "Cluster: lowrank sweep --config sweep.json --run-dir /shared/runs/ranks --emit-sbatch ranks.sbatch --tasks 8; sbatch ranks.sbatch; lowrank report /shared/runs/ranks")
        {
            config, runDir, param, tuner, ashaMin, objective, logdir, shardsOption, trialSeconds, trialSteps, shard, emit, tasks, time, mem, cpus, ranks, list,
        };
        command.SetAction(async (parse, ct) =>
        {
            var cfg = SweepConfig.Load(parse.GetValue(config)?.FullName);
            foreach (var p in parse.GetValue(param) ?? [])
            {
                var (name, values) = TrainCommand.SplitAssignment(p);
                cfg.SearchSpace.Add(name, values.Split(','));
            }
            string dir = parse.GetValue(runDir)!.FullName;
            var ml = new MLContext(seed: 1);
            var experiment = ml.LowRank().CreateExperiment()
                .SetPipeline(TokenizerOption.Parse(cfg.Tokenizer), cfg.Baseline)
                .SetSearchSpace(cfg.SearchSpace)
                .SetResultDirectory(dir)
                .SetReuse(cfg.Reuse)
                .SetObjective(parse.GetValue(objective) is { } obj ? SweepConfig.ParseObjective(obj) : cfg.Objective)
                .SetMonitor(new SynchronousProgress<ExperimentProgress>(Console.WriteLine));
            SweepConfig.ApplyTuner(experiment, parse.GetValue(tuner) ?? cfg.Tuner);
            if (parse.GetValue(ashaMin) is int min) experiment.SetSuccessiveHalving(min);
            else if (cfg.EarlyStopping is { } es) experiment.SetSuccessiveHalving(es.MinSteps, es.ReductionFactor);
            if (cfg.ModelDirectory is { } models) experiment.SetModelDirectory(models);
            if ((parse.GetValue(logdir)?.FullName ?? cfg.LogDirectory) is { } logs) experiment.SetLogDirectory(logs);
            double? seconds = parse.GetValue(trialSeconds) ?? cfg.TrialSeconds;
            int? steps = parse.GetValue(trialSteps) ?? cfg.TrialSteps;
            if (seconds is not null || steps is not null || cfg.TrialTokens is not null)
                experiment.SetTrialBudget(steps, cfg.TrialTokens, seconds);
            if (cfg.ExperimentMinutes is double minutes) experiment.SetExperimentBudget(TimeSpan.FromMinutes(minutes));

            bool adaptive = (parse.GetValue(tuner) ?? cfg.Tuner).StartsWith("local", StringComparison.OrdinalIgnoreCase);
            var trials = adaptive ? [] : experiment.PlanTrials();
            if (adaptive && (parse.GetValue(list) || parse.GetValue(emit) is not null))
                throw new ArgumentException("An adaptive tuner (local:N) proposes trials from results: there is no list to print or to shard over a job array. Use grid or random (with --asha-min-steps to stop early).");
            if (parse.GetValue(list))
            {
                foreach (var (index, id, p) in trials) Console.WriteLine($"{index}\t{id}\t{TrialKey.Of(p)}");
                return 0;
            }
            if (parse.GetValue(emit) is { } script)
            {
                if (parse.GetValue(config) is null) throw new ArgumentException("--emit-sbatch needs --config: every array task reads the same sweep file.");
                if (Path.GetFullPath(script.FullName) == Path.GetFullPath(parse.GetValue(config)!.FullName))
                    throw new ArgumentException($"--emit-sbatch {script.FullName} is the sweep config itself (--config): writing the script there would replace the config. Name another file, e.g. sweep.sbatch.");
                string self = typeof(SweepCommand).Assembly.Location;
                string Q(string v) => JobArray.ShellQuote(v);
                var extra = string.Concat((parse.GetValue(param) ?? []).Select(p => $" --param {Q(p)}"))
                    + (parse.GetValue(tuner) is { } tu ? $" --tuner {Q(tu)}" : "")
                    + (parse.GetValue(ashaMin) is { } am ? $" --asha-min-steps {am}" : "")
                    + (parse.GetValue(objective) is { } ob ? $" --objective {ob}" : "")
                    + (parse.GetValue(logdir) is { } ld ? $" --logdir {Q(ld.FullName)}" : "")
                    + (parse.GetValue(shardsOption) is { } sd ? $" --shards {Q(sd.FullName)}" : "")
                    + (parse.GetValue(trialSeconds) is { } ts ? string.Create(CultureInfo.InvariantCulture, $" --trial-seconds {ts}") : "")
                    + (parse.GetValue(trialSteps) is { } st ? $" --trial-steps {st}" : "");
                string run = $"{(parse.GetValue(ranks) > 1 ? "srun --mpi=pmix " : "")}dotnet {Q(self)} sweep --config {Q(parse.GetValue(config)!.FullName)} --run-dir {Q(dir)}{extra}";
                // Slurm opens each task's --output file before the script runs, so the log folder must exist now.
                Directory.CreateDirectory(Path.Combine(dir, "logs"));
                File.WriteAllText(script.FullName, JobArray.SbatchScript("lowrank-sweep", parse.GetValue(tasks), run, dir,
                    TimeSpan.Parse(parse.GetValue(time)!, CultureInfo.InvariantCulture), parse.GetValue(mem), parse.GetValue(cpus), parse.GetValue(ranks)));
                Console.WriteLine($"wrote {script.FullName}: {trials.Count} trials over {parse.GetValue(tasks)} array tasks. Submit with: sbatch {script.FullName}");
                return 0;
            }

            var (shardIndex, shardCount) = JobArray.ResolveShard(parse.GetValue(shard));
            experiment.SetShard(shardIndex, shardCount);
            using var shardTrain = parse.GetValue(shardsOption) is { } shardDir ? ml.LowRank().Data.LoadTokenShards(shardDir.FullName, "train") : null;
            using var shardValidation = shardTrain is null ? null : ml.LowRank().Data.LoadTokenShards(shardTrain.Directory, "validation");
            if (shardTrain is not null) experiment.SetDataset(shardTrain, shardValidation!);
            else
            {
                var split = CorpusOption.LoadSplit(ml, cfg.Corpus, cfg.TextField, cfg.ValidationFraction);
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
