using System.Diagnostics;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Reliability;

// The real CLI as a child process, killed with SIGKILL at random moments and with SIGTERM, then resumed.
[Collection(ChildProcessCollection.Name)]
public class KillTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static string[] Train(string dir, string checkpoint, params string[] extra) => TrainFor(dir, checkpoint, 300,
        extra);

    static string[] TrainFor(string dir, string checkpoint, int steps, params string[] extra) =>
    [
        "train", "--corpus", Path.Combine(dir, "corpus.jsonl"), "--validation-fraction", "0.2", "--tokenizer", "bytes",
        "--set", "Depth=2", "ModelDim=32", "HeadDim=16", "SequenceLength=32", "BatchSize=4", "AttentionRank=8", "MlpRank=8",
        "--report-every", "1", "--steps",
            steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--eval-every", "50", "--eval-tokens", "512", "--checkpoint", checkpoint, "--checkpoint-every", "3", "--history-csv", Path.Combine(dir, "history.csv"),
        .. extra,
    ];

    static string[] LossColumn(string csv) => File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')[4]).ToArray();

    [Fact]
    public void Sigkill_at_random_moments_then_resume_loses_nothing()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string reference = Path.Combine(dir, "reference.ckpt");
        var (code, output) = SweepFixture.Run(dir, Train(dir, reference));
        code.Should().Be(0, output);
        var straight = LossColumn(Path.Combine(dir, "history.csv"));
        straight.Should().HaveCount(300);

        string checkpoint = Path.Combine(dir, "killed.ckpt");
        var random = new Random(42);
        var killedAt = new List<int>();
        // Three runs, each killed with SIGKILL the moment its progress line for a seeded random step in its third of
        // the run is read (progress prints every step; checkpoints land every 3, so the kill falls at any phase of that
        // cycle). No sleep: the kill follows the line, and at least 60 steps remain, so every kill is mid-training.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int target = 1 + 80 * attempt + random.Next(80);   // 1–80, 81–160, 161–240
            using var child = SweepFixture.Start(dir, Train(dir, checkpoint, "--resume", "--start-if-missing"));
            _ = child.StandardError.ReadToEndAsync();
            int seen = 0;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (seen < target && DateTime.UtcNow < deadline && child.StandardOutput.ReadLine() is { } line)
                if (System.Text.RegularExpressions.Regex.Match(line, @"^\s*step (\d+) \|") is { Success: true } m)
                    seen = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            child.HasExited.Should()
                .BeFalse($"run {attempt + 1} must still be training when killed (progress reached step {seen})");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            killedAt.Add(seen);
        }
        log.WriteLine($"SIGKILLed 3 runs after their progress reached steps {string.Join(", ", killedAt)}");
        var (finalCode, finalOutput) = SweepFixture.Run(dir, Train(dir, checkpoint, "--resume"));
        finalCode.Should().Be(0, finalOutput);
        // The final run must have started from a checkpoint a killed run wrote mid-way, not from scratch.
        var resumed = System.Text.RegularExpressions.Regex.Match(finalOutput, @"Resumed from .* at step (\d+)");
        resumed.Success.Should().BeTrue($"the last run resumes from the killed runs' checkpoint:\n{finalOutput}");
        int.Parse(resumed.Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(killedAt[^1] - 3, 299,
            "the last checkpoint is at most 3 steps (the checkpoint interval) before the last kill, and before the " +
            "end");
        log.WriteLine($"the final run: {resumed.Value}");
        LossColumn(Path.Combine(dir, "history.csv")).Should()
            .Equal(straight, "the resumed run is the uninterrupted one");
        log.WriteLine("after resuming: 300 steps, every loss identical to the uninterrupted run's; 0 steps lost");
        Directory.GetFiles(dir, "*.tmp").Should()
            .BeEmpty("a kill mid-write leaves a temporary file, and the next write removes those of dead writers");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Sigterm_writes_a_checkpoint_and_says_how_to_resume()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string checkpoint = Path.Combine(dir, "term.ckpt");
        using var child = SweepFixture.Start(dir, TrainFor(dir, checkpoint, 100_000));
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!File.Exists(checkpoint) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        File.Exists(checkpoint).Should().BeTrue("training started and checkpointed");
        Process.Start("kill",
            ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        child.WaitForExit(60_000).Should().BeTrue();
        child.ExitCode.Should().Be(130);
        (stderr.Result + stdout.Result).Should().Contain("interrupted after step").And.Contain("--resume");
        Directory.Delete(dir, true);
    }
}
