// A tiny corpus and sweep config on disk, and a way to run the real `lowrank` CLI as a child process.
using System.Diagnostics;
using System.Text.Json;

namespace MLNet.LowRank.Tests.Experiments;

static class SweepFixture
{
    /// <summary>A directory with corpus.jsonl (40 short documents) and sweep.json over
    /// <paramref name="searchSpace"/>.</summary>
    public static TempDirectory Create(string searchSpace = "{ \"AttentionRank\": [\"dense\", 4, 8], \"MlpRank\": " +
        "[\"dense\", 8, 16] }", string extra = "")
    {
        var temp = new TempDirectory("lowrank-sweep-");
        string dir = temp.Path;
        var lines = Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new
        {
            id = $"d{i:D2}",
            text = $"Document {i}. The quick brown fox jumps over the lazy dog {i % 7} times; the cat " +
                $"sleeps {i % 3} hours a day.",
        }));
        File.WriteAllLines(Path.Combine(dir, "corpus.jsonl"), lines);
        File.WriteAllText(Path.Combine(dir, "sweep.json"), $$"""
        {
          "corpus": "{{Path.Combine(dir, "corpus.jsonl")}}", "tokenizer": "bytes", "validationFraction": 0.2,
          "baseline": { "Depth": 2, "ModelDim": 32, "HeadDim": 16, "SequenceLength": 32, "BatchSize": 4, "Variant": "Factored" },
          "searchSpace": {{searchSpace}},
          "tuner": "one-at-a-time", "trialSteps": 15, "evalEvery": 5, "evalTokens": 1024, "threshold": 1000{{extra}}
        }
        """);
        return temp;
    }

    public static string Cli => Path.Combine(AppContext.BaseDirectory, "lowrank.dll");

    /// <summary>Starts `dotnet lowrank.dll args` with output captured.</summary>
    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <summary>Starts `dotnet lowrank.dll args` with output captured and these environment variables set (null removes
    /// one).</summary>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment,
        params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) info.Environment.Remove(name); else info.Environment[name] = value;
        info.ArgumentList.Add(Cli);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>Runs the CLI to completion (bounded); returns exit code and output.</summary>
    public static (int Code, string Output) Run(string workingDirectory, params string[] args) => Run(workingDirectory,
        null, args);

    /// <summary>Runs the CLI to completion (bounded) with these environment variables; returns exit code and
    /// output.</summary>
    public static (int Code, string Output) Run(string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var p = Start(workingDirectory, environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"lowrank {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
