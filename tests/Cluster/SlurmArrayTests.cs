// A sweep as a real Slurm job array on a one-node cluster brought up on this machine (scripts/slurm/up.sh).
// Runs only when LOWRANK_SLURM_TEST=1 (CI sets it; it needs root to install and start the daemons); otherwise, or
// when the packages cannot be installed, it is reported as skipped with the reason — never as passed.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Tests.Experiments;
using Xunit.Abstractions;

namespace MLNet.LowRank.Tests.Cluster;

[Collection(ChildProcessCollection.Name)]
public partial class SlurmArrayTests(ITestOutputHelper output)
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);
    readonly StringBuilder report = new();

    [SkippableFact]
    public void A_sweep_runs_as_a_job_array_and_a_resubmission_completes_only_what_is_missing()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("LOWRANK_SLURM_TEST") == "1",
            "Set LOWRANK_SLURM_TEST=1 (as root) to bring up a one-node Slurm and run this test; CI does.");
        string scratch = Directory.CreateTempSubdirectory("lowrank-slurm-").FullName;
        string scripts = Path.Combine(AppContext.BaseDirectory, "slurm");
        var (upCode,
            upOutput) = Shell(scratch, "bash", [Path.Combine(scripts, "up.sh"), scratch], TimeSpan.FromMinutes(8));
        Skip.If(upCode == 2, upOutput.Trim());
        upCode.Should().Be(0, upOutput);
        Log(upOutput.Trim());
        try
        {
            FullArray(scratch);
            DataParallelThroughSrun(scratch);
            KilledTaskThenResubmit(scratch);
        }
        finally
        {
            Shell(scratch, "bash", [Path.Combine(scripts, "down.sh"), scratch], TimeSpan.FromMinutes(1));
            output.WriteLine(report.ToString());
            if (Environment.GetEnvironmentVariable("LOWRANK_SLURM_REPORT") is { Length: > 0 } file)
                File.WriteAllText(file, report.ToString());
        }
    }

    void FullArray(string scratch)
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string run = Path.Combine(dir, "run");
        Emit(dir, run, tasks: 2);
        var clock = Stopwatch.StartNew();
        string job = Submit(scratch, dir);
        Wait(scratch, job);
        Log($"job {job}: 2 array tasks finished in {clock.Elapsed.TotalSeconds:F1} s");

        var records = new ResultStore(run).ReadAll();
        records.Select(r => r.Index).Should().BeEquivalentTo(Enumerable.Range(0, 5), "every trial exactly once");
        records.Select(r => r.Id).Should().OnlyHaveUniqueItems();
        foreach (var task in new[] { 0, 1 })
        {
            string log = File.ReadAllText(Directory.GetFiles(Path.Combine(run, "logs"), $"*_{task}.out").Single());
            int ran = Regex.Matches(log, @"perplexity \d").Count;
            ran.Should().Be(task == 0 ? 3 : 2, $"task {task} runs the trials with index % 2 == {task}");
            Log($"  array task {task}: {ran} trials");
        }
        var (code, text) = SweepFixture.Run(dir, "report", run);
        code.Should().Be(0, text);
        File.Exists(Path.Combine(run, "report.md")).Should().BeTrue();
        Directory.GetFiles(run, "*.png").Should().HaveCountGreaterThanOrEqualTo(4);
        Log("merged summary (summary.csv):");
        foreach (var line in File.ReadAllLines(Path.Combine(run, "summary.csv"))) Log("  " + line);
    }

    void KilledTaskThenResubmit(string scratch)
    {
        // Longer trials, so that a kill lands in the middle of one.
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        File.WriteAllText(Path.Combine(dir, "sweep.json"),
            File.ReadAllText(Path.Combine(dir, "sweep.json")).Replace("\"trialSteps\": 15", "\"trialSteps\": 150"));
        string run = Path.Combine(dir, "run");
        Emit(dir, run, tasks: 2);
        string job = Submit(scratch, dir);
        var store = new ResultStore(run);
        var deadline = DateTime.UtcNow + JobTimeout;
        // Task 0 prints "…: running" as each of its trials starts (its log is flushed line by line): the kill goes out
        // on the second one, so it lands inside task 0's second trial (150 steps), whatever the machine's load.
        string logs = Path.Combine(run, "logs"), pattern = $"*-{job}_0.out";
        while (DateTime.UtcNow < deadline && RunningLines(logs, pattern) < 2) Thread.Sleep(100);
        RunningLines(logs, pattern).Should().Be(2, "task 0 started its second trial");
        Scontrol(scratch, "scancel", "--signal=KILL", "--full", $"{job}_0");
        Wait(scratch, job);
        var before = store.ReadAll().ToDictionary(r => r.Id, r => r.FinishedUtc);
        store.ReadAll().Count(r =>
            r.Index % 2 == 0).Should().Be(1, "task 0 finished its first trial and was killed in its second");
        before.Count.Should().BeLessThan(5, "task 0 was killed before its last trial");
        Log($"job {job}: array task 0 killed with SIGKILL mid-trial; {before.Count} of 5 trials recorded");

        string again = Submit(scratch, dir);
        Wait(scratch, again);
        var after = store.ReadAll();
        after.Select(r => r.Index).Should().BeEquivalentTo(Enumerable.Range(0, 5));
        foreach (var r in after.Where(r => before.ContainsKey(r.Id)))
            r.FinishedUtc.Should().Be(before[r.Id], "a finished trial never runs twice");
        Log($"job {again}: re-submitted; ran the {5 - before.Count} missing trials, all 5 recorded once");
    }

    /// <summary>One run as two data-parallel tasks: an sbatch job of 2 tasks whose script runs `srun --mpi=pmix`
    /// (OpenMPI over PMIx), against the same run as one process; the loss and gradient-norm curves must agree. The test
    /// node may have one CPU (nproc follows the suite's OMP_NUM_THREADS=1), so the two tasks are allowed to share
    /// it.</summary>
    void DataParallelThroughSrun(string scratch)
    {
        using var dir = new TempDirectory("slurm-dp-");
        string cli = SweepFixture.Cli;
        string args = "train --corpus brown --tokenizer bytes --steps 100 --eval-every 0 --validation-fraction 0 " +
            "--set Depth=2 ModelDim=32 HeadDim=16 SequenceLength=32 BatchSize=8";
        File.WriteAllText(Path.Combine(dir.Path, "sweep.sbatch"), $"""
            #!/bin/bash
            #SBATCH --job-name=lowrank-dp
            #SBATCH --ntasks=2
            #SBATCH --cpus-per-task=1
            #SBATCH --overcommit
            #SBATCH --mem=2G
            #SBATCH --time=00:10:00
            #SBATCH --output={dir.Path}/dp.out
            set -euo pipefail
            export OMP_NUM_THREADS=1
            srun --mpi=pmix --overcommit dotnet {cli} {args} --history-csv {dir.Path}/two.csv
            """);
        string job = Submit(scratch, dir.Path);
        Wait(scratch, job);
        string log = File.ReadAllText(Path.Combine(dir.Path, "dp.out"));
        log.Should().Contain("Data-parallel over 2 ranks").And.Contain("RESULT status=Completed");
        var (code, text) = SweepFixture.Run(dir.Path, [.. args.Split(' '), "--history-csv", "one.csv"]);
        code.Should().Be(0, text);
        var (a, b) = (Training.DataParallelTests.Curve(Path.Combine(dir.Path, "one.csv")),
            Training.DataParallelTests.Curve(Path.Combine(dir.Path, "two.csv")));
        b.Should().HaveCount(100);
        double largest = Training.DataParallelTests.Largest(a, b);
        largest.Should().BeLessThan(Training.DataParallelTests.Tolerance, "two srun tasks train the one-process run");
        Log($"job {job}: srun --mpi=pmix, 2 data-parallel tasks, 100 steps; largest relative difference from one " +
            $"process {largest:E1}");
    }

    /// <summary>How many trials the log says have started (0 while the file does not exist yet).</summary>
    static int RunningLines(string logs, string pattern)
    {
        try
        {
            if (Directory.GetFiles(logs, pattern) is not [var log]) return 0;
            using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete));
            return Regex.Matches(reader.ReadToEnd(), @": running\r?$", RegexOptions.Multiline).Count;
        }
        catch (FileNotFoundException) { return 0; }
        catch (DirectoryNotFoundException) { return 0; }
    }

    static void Emit(string dir, string run, int tasks)
    {
        var (code,
            text) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir",
            run, "--emit-sbatch", "sweep.sbatch",
            "--tasks",
            tasks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cpus-per-task", "1", "--mem-gb", "2", "--time-per-task", "00:10:00");
        code.Should().Be(0, text);
    }

    string Submit(string scratch, string dir)
    {
        var (code, text) = Shell(dir, "sbatch", [Path.Combine(dir, "sweep.sbatch")], TimeSpan.FromMinutes(1), scratch);
        code.Should().Be(0, text);
        string job = JobId().Match(text).Groups[1].Value;
        job.Should().NotBeEmpty(text);
        Log($"sbatch: {text.Trim()}");
        return job;
    }

    static void Wait(string scratch, string job)
    {
        var deadline = DateTime.UtcNow + JobTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var (_, queue) = Shell(scratch, "squeue", ["-h", "-j", job], TimeSpan.FromSeconds(30), scratch);
            if (string.IsNullOrWhiteSpace(queue)) return;
            Thread.Sleep(500);
        }
        var (_, state) = Shell(scratch, "squeue", ["-h", "-j", job, "-o", "%T %R"], TimeSpan.FromSeconds(30), scratch);
        Shell(scratch, "scancel", [job], TimeSpan.FromSeconds(30), scratch);
        throw new TimeoutException($"Slurm job {job} did not finish within {JobTimeout} (state " +
            $"then: {state.Trim()}); cancelled it.");
    }

    static void Scontrol(string scratch, string command, params string[] args)
    {
        var (code, text) = Shell(scratch, command, args, TimeSpan.FromSeconds(30), scratch);
        code.Should().Be(0, text);
    }

    static (int Code, string Output) Shell(string workingDirectory, string file, string[] args, TimeSpan timeout,
        string? slurmScratch = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (slurmScratch is not null) info.Environment["SLURM_CONF"] = Path.Combine(slurmScratch, "slurm.conf");
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p
            .Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}."); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    void Log(string line) => report.AppendLine(line);

    [GeneratedRegex(@"Submitted batch job (\d+)")]
    private static partial Regex JobId();
}
