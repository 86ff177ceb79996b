// `lowrank bench peer`: the library's training step against the independent PyTorch reference (tools/reference/
// bench.py, plain PyTorch written from the model spec) on the same shape, batch, optimizer and thread count, timed the
// same way (phase medians after warm-up steps). The two run one after the other, never together, so neither shares the
// cores with the other.
using System.Diagnostics;
using System.Text.Json;
using MLNet.LowRank.Model;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Benchmarks;

/// <summary>The reference's timing of one shape (milliseconds are medians over the timed steps).</summary>
/// <param name="ForwardMs">Forward to soft-capped logits.</param>
/// <param name="LossMs">Cross-entropy.</param>
/// <param name="BackwardMs">Backward.</param>
/// <param name="OptimizerMs">Clip + optimizer + zero-grad.</param>
/// <param name="StepMs">Whole step.</param>
/// <param name="TokensPerSecond">Batch tokens ÷ median step time.</param>
/// <param name="Threads">torch.get_num_threads() in the reference process.</param>
/// <param name="TorchVersion">The PyTorch version that ran it.</param>
/// <param name="Blas">The BLAS library the reference's torch loaded.</param>
/// <param name="Parameters">The reference model's parameter count (the same shape as the library's, or the comparison
/// is void).</param>
public sealed record PeerMeasurement(double ForwardMs, double LossMs, double BackwardMs, double OptimizerMs,
    double StepMs, double TokensPerSecond,
    int Threads, string TorchVersion, string Blas, long Parameters);

/// <summary>Runs the PyTorch reference's training-step benchmark.</summary>
public static class PeerBenchmark
{
    /// <summary>Debian's interpreter, the one python3-torch installs for.</summary>
    public const string DefaultPython = "/usr/bin/python3";

    /// <summary>Times <paramref name="steps"/> reference training steps of <paramref name="config"/> after
    /// <paramref name="warmup"/> untimed ones, in a child process.</summary>
    /// <exception cref="InvalidOperationException">The interpreter, torch or the reference scripts are missing, or the
    /// reference failed (its error output is in the message).</exception>
    public static PeerMeasurement Run(GptConfig config, int batchSize, string optimizer, int threads, int steps,
        int warmup,
        string? python = null, string? referenceDirectory = null)
    {
        python ??= DefaultPython;
        string script = Path.Combine(referenceDirectory ?? FindReferenceDirectory(), "bench.py");
        if (!File.Exists(script))
            throw new InvalidOperationException($"{script} not found: pass the repository's tools/reference folder " +
                $"(--reference).");
        if (!File.Exists(python))
            throw new InvalidOperationException($"Python interpreter {python} not found: install Debian's " +
                $"python3-torch (apt-get install python3-torch) or pass --python.");
        var info = new ProcessStartInfo(python,
        [
            script, "--config",
                GptExport.ConfigJson(config).ToJsonString(), "--batch", $"{batchSize}", "--steps", $"{steps}",
            "--warmup", $"{warmup}", "--threads", $"{threads}", "--optimizer", optimizer,
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        // The peer gets the OpenMP wait policy this process runs under (Runtime/ThreadPolicy.cs): with Debian's torch
        // and OpenBLAS's own threads, OpenMP's spinning idle threads otherwise halve the reference's speed.
        if (ThreadPolicy.NativeVariable("OMP_WAIT_POLICY") is { } policy) info.Environment["OMP_WAIT_POLICY"] = policy;
        // And the same malloc threshold (Runtime/MemoryPolicy.cs), so neither side pays page faults the other does not.
        if (MemoryPolicy.Applied) info.Environment["MALLOC_MMAP_THRESHOLD_"] = $"{MemoryPolicy.MmapThreshold}";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {python}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string error = stderr.Result.Trim();
            string hint = error.Contains("No module named 'torch'",
                StringComparison.Ordinal) ? $" {python} has no torch: apt-get install python3-torch." : "";
            throw new InvalidOperationException($"The PyTorch reference exited with " +
                $"code {process.ExitCode}.{hint}\n{error}");
        }
        string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        var json = JsonDocument.Parse(line).RootElement;
        double D(string name) => json.GetProperty(name).GetDouble();
        return new PeerMeasurement(D("forward_ms"), D("loss_ms"), D("backward_ms"), D("optimizer_ms"), D("step_ms"),
            D("tokens_per_second"),
            json.GetProperty("threads").GetInt32(), json.GetProperty("torch").GetString() ?? "?",
            json.GetProperty("blas").GetString() ?? "?",
            json.GetProperty("parameters").GetInt64());
    }

    /// <summary>tools/reference found from the working directory or the program's directory upwards, or the
    /// "reference" folder the test project copies beside its binaries.</summary>
    public static string FindReferenceDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "reference");
        if (File.Exists(Path.Combine(beside, "bench.py"))) return beside;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tools", "reference");
                if (File.Exists(Path.Combine(candidate, "bench.py"))) return candidate;
            }
        throw new InvalidOperationException("tools/reference/bench.py not found above the working directory: run " +
            "from the repository or pass --reference.");
    }
}
