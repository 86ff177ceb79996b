using System.Text.Json;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Tests.Experiments;

// Real child processes of the `lowrank` CLI over one run directory: a hard kill in the middle, then a re-run; and
// shards.
[Collection(ChildProcessCollection.Name)]
public class SweepProcessTests
{
    static IReadOnlyList<TrialResult> Records(string runDir) => new ResultStore(runDir).ReadAll();

    [Fact]
    public void Killed_mid_sweep_then_rerun_loses_and_repeats_nothing()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        // Trials long enough (150 steps) that a kill sent when one starts lands inside it.
        File.WriteAllText(Path.Combine(dir, "sweep.json"),
            File.ReadAllText(Path.Combine(dir, "sweep.json")).Replace("\"trialSteps\": 15", "\"trialSteps\": 150"));
        string run = Path.Combine(dir, "run");
        using (var child = SweepFixture.Start(dir, "sweep", "--config", "sweep.json", "--run-dir", run))
        {
            // The sweep prints "…: running" as each trial starts: kill hard on the third, so two trials have finished
            // and the third is mid-training — on any machine, however loaded.
            _ = child.StandardError.ReadToEndAsync();
            int started = 0;
            while (started < 3 && child.StandardOutput.ReadLine() is { } line)
                if (line.EndsWith(": running", StringComparison.Ordinal)) started++;
            started.Should().Be(3, "the sweep started its third trial");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        var before = Records(run);
        before.Should().HaveCount(2, "the kill came as the third trial started");
        var finishedAt = before.ToDictionary(r => r.Id, r => r.FinishedUtc);

        var (code, output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", run);
        code.Should().Be(0, output);
        var after = Records(run);
        after.Should().HaveCount(5);
        after.Select(r => r.Id).Should().OnlyHaveUniqueItems();
        foreach (var r in after.Where(r => finishedAt.ContainsKey(r.Id)))
            r.FinishedUtc.Should().Be(finishedAt[r.Id], "a finished trial is never run again");
        Directory.GetFiles(Path.Combine(run, "trials")).Where(f => !f.EndsWith(".json")
            && !f.EndsWith(".tmp")).Should().BeEmpty();
        foreach (var f in Directory.GetFiles(Path.Combine(run, "trials"), "*.json"))
            FluentActions.Invoking(() => JsonDocument.Parse(File.ReadAllText(f))).Should().NotThrow(f);
        output.Should().Contain("already done");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Shards_in_separate_processes_cover_every_trial_exactly_once()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string run = Path.Combine(dir, "run");
        var shards = Enumerable.Range(0, 3)
            .Select(i => SweepFixture.Start(dir, "sweep", "--config", "sweep.json", "--run-dir",
            run, "--shard", $"{i}/3"))
            .ToList();
        foreach (var p in shards)
        {
            p.StandardOutput.ReadToEnd();
            p.WaitForExit(TimeSpan.FromMinutes(3)).Should().BeTrue();
            p.ExitCode.Should().Be(0, p.StandardError.ReadToEnd());
            p.Dispose();
        }
        var records = Records(run);
        records.Select(r => r.Index).Should().BeEquivalentTo(Enumerable.Range(0, 5));
        records.Select(r => r.Id).Should().OnlyHaveUniqueItems();

        var (code, output) = SweepFixture.Run(dir, "report", run);
        code.Should().Be(0, output);
        File.Exists(Path.Combine(run, "report.md")).Should().BeTrue();
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Two_processes_of_one_plain_grid_sweep_split_its_trials()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string run = Path.Combine(dir, "run");
        // No shards and no early stopping: before trial claims, each process ran every trial. Now each claims a trial
        // before it starts it, so between them every trial runs exactly once — how two one-thread processes share a
        // two-core machine.
        var racers = Enumerable.Range(0,
            2).Select(_ => SweepFixture.Start(dir, "sweep", "--config", "sweep.json", "--run-dir", run)).ToList();
        var outputs = racers.Select(p => (Out: p.StandardOutput.ReadToEndAsync(),
            Err: p.StandardError.ReadToEndAsync())).ToList();
        foreach (var (p, o) in racers.Zip(outputs))
        {
            p.WaitForExit(TimeSpan.FromMinutes(3)).Should().BeTrue();
            p.ExitCode.Should().Be(0, o.Out.Result + o.Err.Result);
            p.Dispose();
        }
        var started = outputs.SelectMany(o => o.Out.Result.Split('\n').Where(l => l.TrimEnd().EndsWith(": running",
            StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("trial ", StringComparison.Ordinal)..].Trim())).ToList();
        started.Should().OnlyHaveUniqueItems("no trial ran in both processes").And.HaveCount(5);
        var records = Records(run);
        records.Select(r => r.Index).Should().BeEquivalentTo(Enumerable.Range(0, 5));
        Directory.GetFiles(Path.Combine(run, "checkpoints")).Should()
            .BeEmpty("a finished trial's checkpoint is deleted");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Two_processes_of_two_hosts_racing_under_successive_halving_run_each_rung_once()
    {
        using var sweep =
            SweepFixture.Create(extra: ", \"earlyStopping\": { \"minSteps\": 5, \"reductionFactor\": 3 }");
        string dir = sweep.Path;
        string run = Path.Combine(dir, "run");
        // No shards: both processes may run any candidate, and one says it is on another host, so neither can judge the
        // other's claims by process id, only by their heartbeats.
        var racers = new[]
        {
            SweepFixture.Start(dir, "sweep", "--config", "sweep.json", "--run-dir", run),
            SweepFixture.Start(dir,
                new Dictionary<string, string?> { [MLNet.LowRank.Common.HostIdentity.Variable] = "other-host" }, "sweep", "--config", "sweep.json", "--run-dir", run),
        };
        var outputs = racers.Select(p => (Out: p.StandardOutput.ReadToEndAsync(),
            Err: p.StandardError.ReadToEndAsync())).ToList();
        foreach (var (p, o) in racers.Zip(outputs))
        {
            p.WaitForExit(TimeSpan.FromMinutes(3)).Should().BeTrue();
            p.ExitCode.Should().Be(0, o.Out.Result + o.Err.Result);
            p.Dispose();
        }
        var started = outputs.Select(o => o.Out.Result.Split('\n').Where(l => l.TrimEnd().EndsWith(": running",
            StringComparison.Ordinal)).Select(l => l[l.IndexOf("trial ",
            StringComparison.Ordinal)..].Trim()).ToList()).ToList();
        started.SelectMany(s => s).Should().OnlyHaveUniqueItems("no (trial, rung) ran in both processes");
        started.SelectMany(s => s).Should().HaveCount(Directory.GetFiles(Path.Combine(run, "rungs"), "*.json").Length);
        Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories).Should().BeEmpty();

        // Whichever finished last closed the run; one more pass finishes it if the other was still busy then.
        var (code, output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", run);
        code.Should().Be(0, output);
        output.Should().NotContain(": running", "every rung already ran");
        var records = Records(run);
        records.Should().HaveCount(5);
        records.Should().OnlyContain(r => r.Status == TrialStatus.Completed || r.Status == TrialStatus.Stopped);
    }

    [Fact]
    public void Emitted_sbatch_script_runs_the_same_sweep_per_array_task()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        var (code,
            output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir",
            Path.Combine(dir, "run"), "--emit-sbatch", "sweep.sbatch", "--tasks", "2");
        code.Should().Be(0, output);
        string script = File.ReadAllText(Path.Combine(dir, "sweep.sbatch"));
        script.Should().Contain("#SBATCH --array=0-1").And.Contain("sweep --config").And
            .Contain(Path.Combine(dir, "run"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_config_with_an_unknown_key_names_the_closest_one()
    {
        using var sweep = SweepFixture.Create(extra: ", \"trailSeconds\": 5");
        string dir = sweep.Path;
        var (code,
            output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", Path.Combine(dir, "run"));
        code.Should().NotBe(0);
        output.Should().Contain("unknown key \"trailSeconds\"").And.Contain("did you mean 'trialSeconds'");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_config_can_reuse_the_trials_of_an_earlier_run_directory()
    {
        using var sweep = SweepFixture.Create(searchSpace: "{ \"AttentionRank\": [\"dense\", 4] }");
        string dir = sweep.Path;
        var (code, output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", "run1");
        code.Should().Be(0, output);
        string config = File.ReadAllText(Path.Combine(dir, "sweep.json"))
            .Replace("\"AttentionRank\": [\"dense\", 4]", "\"AttentionRank\": [4, 8]")
            .Replace("\"one-at-a-time\"", "\"grid\"");
        File.WriteAllText(Path.Combine(dir, "second.json"),
            config.TrimEnd().TrimEnd('}') + ", \"reuse\": [\"run1\"] }");
        (code, output) = SweepFixture.Run(dir, "sweep", "--config", "second.json", "--run-dir", "run2");
        code.Should().Be(0, output);
        var records = Records(Path.Combine(dir, "run2"));
        records.Single(r =>
            r.Parameters["AttentionRank"] == "4").CopiedFrom.Should().StartWith("../run1/trials/trial-001-");
        records.Single(r => r.Parameters["AttentionRank"] == "8").CopiedFrom.Should().BeNull();

        File.WriteAllText(Path.Combine(dir, "bad.json"), config.TrimEnd().TrimEnd('}') + ", \"reuse\": \"run1\" }");
        (code, output) = SweepFixture.Run(dir, "sweep", "--config", "bad.json", "--run-dir", "run3");
        code.Should().Be(2);
        output.Should().Contain("\"reuse\": expected an array of run-directory paths");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_config_registers_a_variant_from_an_assembly_and_a_model_that_uses_it_names_the_missing_registration()
    {
        string testAssembly = typeof(ScaledFactoredVariant).Assembly.Location;
        using var sweep = SweepFixture.Create("{ \"Variant\": [\"ScaledFactored\"], \"AttentionRank\": [4] }",
            $", \"extensions\": [\"{testAssembly}\"], \"modelDirectory\": \"models\"");
        string dir = sweep.Path;
        string run = Path.Combine(dir, "run");
        var (code, output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", run);
        code.Should().Be(0, output);
        var record = Records(run).Single();
        record.Status.Should().Be(TrialStatus.Completed, record.Error);
        record.Configuration["Variant"].Should().Be("ScaledFactored");

        // Another process without the extension: the model names the variant and the registration to make.
        var (evalCode,
            evalOutput) = SweepFixture.Run(dir, "eval", "--model", Path.Combine(dir, "models", "best.zip"), "--corpus",
            Path.Combine(dir, "corpus.jsonl"));
        evalCode.Should().Be(2, evalOutput);
        evalOutput.Should().Contain("ScaledFactored").And.Contain("ExtensionRegistry.Register");
        Directory.Delete(dir, true);
    }
}
