// Data-parallel training through real mpirun processes (OpenMPI; CI installs it): two ranks with half the batch each
// give the one-process run's loss and gradient-norm curves within float-summation noise, for Dense and Factored, Muon
// and AdamW; and the same check fails when the gradient all-reduce is skipped, doubled or not divided by the ranks.
using System.Diagnostics;
using System.Globalization;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Training;

[Collection(ChildProcessCollection.Name)]
public class DataParallelTests
{
    const int Steps = 120;
    /// <summary>Largest relative difference allowed between the curves: float32 sums in another order, over 120
    /// steps.</summary>
    internal const double Tolerance = 2e-4;

    static (int Code, string Output) Run(string dir, int ranks, string[] args, string? fault = null)
    {
        var info = ranks == 1 ? new ProcessStartInfo("dotnet") : new ProcessStartInfo("mpirun");
        if (ranks > 1)
        {
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-n",
                ranks.ToString(CultureInfo.InvariantCulture), "-x", "OMP_NUM_THREADS=1" }) info.ArgumentList.Add(a);
            if (fault is not null) { info.ArgumentList.Add("-x"); info.ArgumentList
                .Add($"LOWRANK_DATAPARALLEL_FAULT={fault}"); }
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(SweepFixture.Cli);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.WorkingDirectory = dir;
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p
            .Kill(entireProcessTree: true); throw new TimeoutException("training did not finish"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Training loss and gradient norm per step, from a --history-csv file.</summary>
    internal static List<(double Loss, double Norm)> Curve(string csv) => File.ReadLines(csv).Skip(1)
        .Select(l => l.Split(',')).Select(c => (double.Parse(c[4], CultureInfo.InvariantCulture),
        double.Parse(c[10], CultureInfo.InvariantCulture))).ToList();

    /// <summary>The largest relative difference, step by step, of two runs' losses and gradient norms.</summary>
    internal static double Largest(List<(double Loss, double Norm)> a, List<(double Loss, double Norm)> b) =>
        a.Zip(b).Max(p => Math.Max(Math.Abs(p.First.Loss - p.Second.Loss) / Math.Abs(p.First.Loss),
        Math.Abs(p.First.Norm - p.Second.Norm) / Math.Abs(p.First.Norm)));

    static string[] Args(string variant, string optimizer, string csv) =>
        ["train", "--corpus", "brown", "--tokenizer", "bytes", "--steps",
        Steps.ToString(CultureInfo.InvariantCulture), "--eval-every", "0", "--validation-fraction", "0",
         "--set", "Depth=2", "ModelDim=32", "HeadDim=16", "SequenceLength=32", "BatchSize=8", $"Variant={variant}", $"Optimizer={optimizer}",
         .. variant == "Factored" ? new[] { "AttentionRank=8", "MlpRank=16" } : [], "--history-csv", csv];

    [SkippableTheory]
    [InlineData("Dense", "MuonAdamW")]
    [InlineData("Factored", "MuonAdamW")]
    [InlineData("Dense", "AdamW")]
    [InlineData("Factored", "AdamW")]
    public void Two_ranks_with_half_the_batch_each_train_the_one_process_run(string variant, string optimizer)
    {
        Skip.If(!File.Exists("/usr/bin/mpirun")
            && Environment
            .GetEnvironmentVariable("CI") is null, "OpenMPI's mpirun is not installed (CI installs openmpi-bin)");
        using var dir = new TempDirectory("dp-");
        var one = Run(dir.Path, 1, Args(variant, optimizer, "one.csv"));
        one.Code.Should().Be(0, one.Output);
        var two = Run(dir.Path, 2, Args(variant, optimizer, "two.csv"));
        two.Code.Should().Be(0, two.Output);
        two.Output.Should().Contain("Data-parallel over 2 ranks").And.Contain("RESULT status=Completed");
        two.Output.Split('\n').Count(l => l.StartsWith("RESULT",
            StringComparison.Ordinal)).Should().Be(1, "rank 0 alone reports");
        var (a, b) = (Curve(Path.Combine(dir.Path, "one.csv")), Curve(Path.Combine(dir.Path, "two.csv")));
        a.Should().HaveCount(Steps);
        b.Should().HaveCount(Steps);
        Largest(a,
            b).Should().BeLessThan(Tolerance, $"{variant} with {optimizer}: the two-rank run is the one-process run");
    }

    [SkippableTheory]
    [InlineData("skip")]
    [InlineData("double")]
    [InlineData("nodivide")]
    public void The_check_fails_when_the_all_reduce_is_skipped_doubled_or_not_divided(string fault)
    {
        Skip.If(!File.Exists("/usr/bin/mpirun")
            && Environment
            .GetEnvironmentVariable("CI") is null, "OpenMPI's mpirun is not installed (CI installs openmpi-bin)");
        using var dir = new TempDirectory("dp-fault-");
        var one = Run(dir.Path, 1, Args("Dense", "MuonAdamW", "one.csv"));
        one.Code.Should().Be(0, one.Output);
        var two = Run(dir.Path, 2, Args("Dense", "MuonAdamW", "two.csv"), fault);
        two.Code.Should().Be(0, two.Output);
        Largest(Curve(Path.Combine(dir.Path, "one.csv")),
            Curve(Path.Combine(dir.Path, "two.csv"))).Should()
            .BeGreaterThan(100 * Tolerance, $"a broken all-reduce ({fault}) is caught");
    }

    [SkippableFact]
    public void Ranks_given_different_options_are_refused_before_step_one_and_a_killed_rank_ends_the_run()
    {
        Skip.If(!File.Exists("/usr/bin/mpirun")
            && Environment
            .GetEnvironmentVariable("CI") is null, "OpenMPI's mpirun is not installed (CI installs openmpi-bin)");
        using var dir = new TempDirectory("dp-mismatch-");
        // MPMD: rank 0 and rank 1 run different commands (another learning rate on rank 1).
        string[] a = Args("Dense", "MuonAdamW", "a.csv"),
            b = [.. Args("Dense", "MuonAdamW", "b.csv").SelectMany(x =>
            x == "BatchSize=8" ? new[] { x, "MatrixLearningRate=0.03" } : [x])];
        var info = new ProcessStartInfo("mpirun")
        {
            WorkingDirectory = dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var x in new[] { "--allow-run-as-root", "-x", "OMP_NUM_THREADS=1", "-n", "1", "dotnet",
            SweepFixture.Cli }.Concat(a).Concat([":", "-n", "1", "dotnet", SweepFixture.Cli]).Concat(b))
            info.ArgumentList.Add(x);
        using (var p = Process.Start(info)!)
        {
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit(TimeSpan.FromMinutes(2)).Should().BeTrue();
            p.ExitCode.Should().NotBe(0);
            output.Should().Contain("were given different training options or data");
            File.Exists(Path.Combine(dir.Path, "a.csv")).Should().BeFalse("refused before any step");
        }

        // A rank killed mid-run: the other must not wait in its all-reduce forever.
        string[] longRun =
            [.. Args("Dense", "MuonAdamW", "c.csv").Select(x => x == Steps.ToString(CultureInfo.InvariantCulture)
            ? "100000" : x)];
        var run = new ProcessStartInfo("mpirun")
        {
            WorkingDirectory = dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var x in new[] { "--allow-run-as-root", "-n", "2", "-x", "OMP_NUM_THREADS=1", "dotnet",
            SweepFixture.Cli }.Concat(longRun)) run.ArgumentList.Add(x);
        using var job = Process.Start(run)!;
        var lines = job.StandardOutput.ReadToEndAsync();
        _ = job.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        int victim = 0;
        while (victim == 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(500);
            var ranks =
                Process.GetProcessesByName("dotnet").Where(p =>
                { try { return File.ReadAllText($"/proc/{p.Id}/cmdline")
                .Contains("c.csv"); } catch (IOException) { return false; } }).ToList();
            if (ranks.Count == 2 && clock.Elapsed > TimeSpan.FromSeconds(8)) victim = ranks.Max(r => r.Id);
        }
        victim.Should().NotBe(0, "both ranks started");
        Process.Start("kill", ["-9", victim.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        var killed = Stopwatch.StartNew();
        job.WaitForExit(TimeSpan.FromSeconds(60)).Should()
            .BeTrue("the surviving rank is ended, not left in a collective");
        killed.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30));
        job.ExitCode.Should().NotBe(0);
    }

    [SkippableFact]
    public void A_sweep_launched_as_two_ranks_trains_every_trial_data_parallel_and_records_it_once()
    {
        Skip.If(!File.Exists("/usr/bin/mpirun")
            && Environment
            .GetEnvironmentVariable("CI") is null, "OpenMPI's mpirun is not installed (CI installs openmpi-bin)");
        using var sweep = SweepFixture.Create();
        var run = Run(sweep.Path, 2, ["sweep", "--config", "sweep.json", "--run-dir", "run"]);
        run.Code.Should().Be(0, run.Output);
        var records = new MLNet.LowRank.Experiments.ResultStore(Path.Combine(sweep.Path, "run")).ReadAll();
        records.Select(r => r.Index).Should().BeEquivalentTo(Enumerable.Range(0, 5), "rank 0 records every trial once");
        records.Should().OnlyContain(r => r.DataParallelRanks == 2
            && r.Status == MLNet.LowRank.Experiments.TrialStatus.Completed);

        // The script that asks Slurm for two ranks per array task.
        var (code,
            text) = SweepFixture
            .Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run2", "--emit-sbatch", "dp.sbatch", "--tasks", "2", "--ranks-per-trial", "2", "--cpus-per-task", "1");
        code.Should().Be(0, text);
        File.ReadAllText(Path.Combine(sweep.Path, "dp.sbatch")).Should().Contain("#SBATCH --ntasks=2").And
            .Contain("srun --mpi=pmix dotnet");
    }

    [SkippableFact]
    public void A_batch_the_ranks_do_not_divide_is_refused_before_training_naming_both()
    {
        Skip.If(!File.Exists("/usr/bin/mpirun")
            && Environment
            .GetEnvironmentVariable("CI") is null, "OpenMPI's mpirun is not installed (CI installs openmpi-bin)");
        using var dir = new TempDirectory("dp-batch-");
        string[] args = [.. Args("Dense", "MuonAdamW", "h.csv").Select(a => a == "BatchSize=8" ? "BatchSize=7" : a)];
        var two = Run(dir.Path, 2, args);
        two.Code.Should().NotBe(0);
        two.Output.Should().Contain("BatchSize 7 is not divisible by the 2 data-parallel ranks");
    }
}
