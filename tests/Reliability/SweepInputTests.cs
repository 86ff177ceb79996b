using System.Diagnostics;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Reliability;

// Budgets at every numeric edge, a script written over its own config, sbatch numbers Slurm would misread, and an
// interrupted sweep — each a clear line and an exit code before (or instead of) any trial record.
[Collection(ChildProcessCollection.Name)]
public class SweepInputTests
{
    [Theory]
    [InlineData("\"trialSteps\": -2", "trialSteps*whole number in 1*-2")]
    [InlineData("\"trialSteps\": 1e300", "trialSteps*whole number in 1*1e300")]
    [InlineData("\"trialSteps\": 2.5", "trialSteps*whole number*2.5")]
    [InlineData("\"trialSeconds\": -1", "trialSeconds*positive*-1")]
    [InlineData("\"evalTokens\": -5", "evalTokens*whole number in 0*-5")]
    [InlineData("\"threads\": 100000", "threads*whole number in 1*1,024*100000")]
    public void A_budget_out_of_range_in_a_config_is_refused_by_name_before_any_trial(string setting, string message)
    {
        using var sweep = SweepFixture.Create();
        string config = Path.Combine(sweep.Path, "sweep.json");
        File.WriteAllText(config,
            File.ReadAllText(config).Replace("\"trialSteps\": 15",
            setting.StartsWith("\"trialSteps\"") ? setting : $"\"trialSteps\": 15, {setting}"));
        var (code, output) = SweepFixture.Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run");
        code.Should().Be(2, output);
        output.Should().Match($"*{message}*");
        Directory.Exists(Path.Combine(sweep.Path, "run", "trials")).Should()
            .BeFalse("nothing ran, so no run directory is tied to the bad budget");
    }

    [Theory]
    [InlineData("--trial-seconds", "-1", "MaxSeconds must be a positive, finite number of seconds")]
    [InlineData("--trial-seconds", "NaN", "MaxSeconds must be a positive, finite number of seconds")]
    [InlineData("--trial-steps", "0", "MaxSteps must be at least 1")]
    public void A_budget_flag_out_of_range_is_refused_before_any_trial(string flag, string value, string message)
    {
        using var sweep = SweepFixture.Create();
        var (code,
            output) = SweepFixture.Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run", flag, value);
        code.Should().Be(2, output);
        output.Should().Contain(message);
        Directory.Exists(Path.Combine(sweep.Path, "run", "trials")).Should().BeFalse();
    }

    [Fact]
    public void The_sbatch_script_is_never_written_over_its_config_and_its_numbers_are_checked()
    {
        using var sweep = SweepFixture.Create();
        string config = Path.Combine(sweep.Path, "sweep.json");
        string before = File.ReadAllText(config);
        var (code,
            output) = SweepFixture
            .Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run", "--emit-sbatch", "sweep.json");
        code.Should().Be(2, output);
        output.Should().Contain("is the sweep config itself");
        File.ReadAllText(config).Should().Be(before);
        foreach (var (flag, value,
            says) in new[] { ("--mem-gb", "-1", "--mem-gb must be at least 1"),
            ("--cpus-per-task", "0", "--cpus-per-task must be at least 1"),
                ("--time-per-task", "-01:00:00", "--time-per-task must be at least one minute") })
        {
            (code, output) = SweepFixture
                .Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run", "--emit-sbatch", "job.sbatch",
                flag, value);
            code.Should().Be(2, output);
            output.Should().Contain(says);
            File.Exists(Path.Combine(sweep.Path, "job.sbatch")).Should().BeFalse();
        }
    }

    [Fact]
    public void SIGTERM_during_a_sweep_is_one_line_and_exit_130_and_the_rerun_finishes_the_rest()
    {
        using var sweep = SweepFixture.Create();
        string config = Path.Combine(sweep.Path, "sweep.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"trialSteps\": 15", "\"trialSteps\": 150"));
        using var child = SweepFixture.Start(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run");
        var stderr = child.StandardError.ReadToEndAsync();
        int started = 0;
        while (started < 2 && child.StandardOutput.ReadLine() is { } line)
            if (line.EndsWith(": running", StringComparison.Ordinal)) started++;
        Process.Start("kill",
            ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        _ = child.StandardOutput.ReadToEndAsync();
        child.WaitForExit(TimeSpan.FromMinutes(2)).Should().BeTrue();
        child.ExitCode.Should().Be(130, stderr.Result);
        stderr.Result.Should().Contain("lowrank: interrupted").And.NotContain("Unhandled exception");
        var (code, output) = SweepFixture.Run(sweep.Path, "sweep", "--config", "sweep.json", "--run-dir", "run");
        code.Should().Be(0, output);
        new ResultStore(Path.Combine(sweep.Path, "run")).ReadAll().Should().HaveCount(5);
    }
}
