// Peak resident memory of one configuration measured in a fresh process. A sweep's trials share one process, so their
// resident-memory figures include whatever earlier trials left in the native heap; for the memory comparison the
// study re-trains the models it compares for a few steps, each in a child process of its own (this program, run with
// --measure-memory), and records the peak.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Examples.Study;

/// <summary>A fresh process's memory for one configuration.</summary>
public sealed record MemoryProbeResult(Dictionary<string, string> Parameters, int Steps, long ResidentBeforeTraining, long PeakResident, double TokensPerSecond);

public static class MemoryProbe
{
    public const int Steps = 48;
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Measures each trial's configuration in a child process (skipping ones already measured); in trial order.</summary>
    public static IReadOnlyList<(TrialResult Trial, MemoryProbeResult Probe)> Measure(IEnumerable<TrialResult> trials, string directory, bool smoke)
    {
        Directory.CreateDirectory(directory);
        var results = new List<(TrialResult, MemoryProbeResult)>();
        foreach (var t in trials)
        {
            string path = Path.Combine(directory, TrialKey.FileId(0, t.Configuration)["trial-000-".Length..] + ".json");
            if (!File.Exists(path))
            {
                var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
                if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") info.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
                foreach (var a in new[] { "--measure-memory", path }.Concat(t.Configuration.Select(kv => $"{kv.Key}={kv.Value}")).Concat(smoke ? ["--smoke"] : []))
                    info.ArgumentList.Add(a);
                using var child = Process.Start(info)!;
                string output = child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd();
                child.WaitForExit();
                if (child.ExitCode != 0) throw new InvalidOperationException($"Memory probe for {ResultsDocument.Label(t)} failed: {output}");
            }
            results.Add((t, JsonSerializer.Deserialize<MemoryProbeResult>(File.ReadAllText(path))!));
            Console.WriteLine($"{DateTime.Now:HH:mm:ss} memory of {ResultsDocument.Label(t)}: peak {results[^1].Item2.PeakResident / 1048576} MB in a fresh process");
        }
        return results;
    }

    /// <summary>The child: trains the configuration (KEY=VALUE arguments over the study's baseline) for a few steps and
    /// writes what it measured to <paramref name="args"/>[0].</summary>
    public static int RunChild(string[] args, StudyPlan plan, MLContext ml, IDataView train)
    {
        var parameters = args[1..].Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var options = TrialParameters.Apply(plan.Baseline, parameters);
        (options.MaxSteps, options.MaxTokens, options.MaxSeconds, options.EvalEvery) = (Steps, null, null, 0);
        var tokenized = ml.Transforms.Text.TokenizeForLanguageModel(options.TokensColumnName, "Text", LmTokenizer.Bpe(StudyPlan.VocabSize)).Fit(train).Transform(train);
        tokenized = ml.Data.Cache(tokenized);
        long before = ProcessMemory.ResidentBytes();
        using var model = ml.LowRank().Trainers.LowRankLm(options).Fit(tokenized);
        var t = model.Training!;
        var result = new MemoryProbeResult(parameters, t.History.Count, before, t.PeakResidentBytes, t.TokensPerSecond);
        AtomicFile.WriteText(args[0], JsonSerializer.Serialize(result, Json));
        return 0;
    }
}
