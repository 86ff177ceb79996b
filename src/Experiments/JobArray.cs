// Running a sweep as a Slurm job array: which shard this process is (from --shard i/n or SLURM_ARRAY_TASK_ID /
// SLURM_ARRAY_TASK_COUNT), and a ready sbatch script that runs every shard against one shared run directory.
using System.Globalization;
using System.Text;

namespace MLNet.LowRank.Experiments;

/// <summary>Shard selection and sbatch scripts.</summary>
public static class JobArray
{
    /// <summary>Parses "i/n" (0-based i); null <paramref name="text"/> falls back to Slurm's array variables, then
    /// 0/1.</summary>
    public static (int Index, int Count) ResolveShard(string? text,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (text is not null)
        {
            var parts = text.Split('/');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture,
                out int i) || !int.TryParse(parts[1], CultureInfo.InvariantCulture,
                out int n) || n < 1 || i < 0 || i >= n)
                throw new ArgumentException($"--shard '{text}' must be i/n with 0 ≤ i < n, e.g. 0/4.");
            return (i, n);
        }
        string? Env(string name) => environment is not null ? environment.GetValueOrDefault(name)
            : Environment.GetEnvironmentVariable(name);
        string? id = Env("SLURM_ARRAY_TASK_ID"), count = Env("SLURM_ARRAY_TASK_COUNT"),
            min = Env("SLURM_ARRAY_TASK_MIN");
        if (id is null || count is null) return (0, 1);
        int index = int.Parse(id,
            CultureInfo.InvariantCulture) - (min is null ? 0 : int.Parse(min, CultureInfo.InvariantCulture));
        int total = int.Parse(count, CultureInfo.InvariantCulture);
        if (index < 0 || index >= total)
            throw new ArgumentException($"SLURM_ARRAY_TASK_ID {id} (min {min ?? "0"}) is outside an array " +
                $"of {total} tasks; submit with --array=0-{total - 1}.");
        return (index, total);
    }

    /// <summary><paramref name="value"/> as one bash word that expands to exactly it, whatever it holds (quotes, $, `,
    /// newlines): single quotes, with each single quote inside closed, escaped and reopened.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>An sbatch script for an array of <paramref name="tasks"/> tasks, each running
    /// <paramref name="command"/> (which reads its shard from Slurm's variables) with the given time and memory per
    /// task.</summary>
    /// <remarks>With <paramref name="ranksPerTask"/> above 1 each array task is that many Slurm tasks (MPI ranks, one
    /// libtorch thread per CPU given), and <paramref name="command"/> should start with <c>srun --mpi=pmix</c>: every
    /// trial then trains data-parallel over them.</remarks>
    public static string SbatchScript(string jobName, int tasks, string command, string runDirectory,
        TimeSpan timePerTask, int memoryGb, int cpusPerTask, int ranksPerTask = 1)
    {
        if (ranksPerTask < 1)
            throw new ArgumentOutOfRangeException(nameof(ranksPerTask),
                ranksPerTask, $"--ranks-per-trial must be at least 1; got {ranksPerTask}.");
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "An array needs at least one task.");
        // Every number is checked before it is written: Slurm would take a negative memory or time as a typo at best.
        if (memoryGb < 1)
            throw new ArgumentOutOfRangeException(nameof(memoryGb),
                memoryGb, $"--mem-gb must be at least 1 (gigabytes per task); got {memoryGb}.");
        if (cpusPerTask < 1)
            throw new ArgumentOutOfRangeException(nameof(cpusPerTask),
                cpusPerTask, $"--cpus-per-task must be at least 1; got {cpusPerTask}.");
        if (timePerTask < TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(timePerTask),
                timePerTask, $"--time-per-task must be at least one minute (hh:mm:ss); got {timePerTask}.");
        // Slurm reads #SBATCH lines itself, without a shell: a path there cannot be quoted, so one that needs quoting
        // is refused here rather than written into a script that logs to the wrong place or fails at submission.
        if (runDirectory.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '%' or '\\' || char.IsControl(c)))
            throw new ArgumentException($"The run directory '{runDirectory}' has a space, quote, % or control " +
                $"character, which an #SBATCH --output line cannot hold; use a run directory without them.",
                nameof(runDirectory));
        if (jobName.Length == 0 || jobName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"The job name '{jobName}' may hold only letters, digits, '-', '_' and '.'.",
                nameof(jobName));
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/bash");
        sb.AppendLine(ci, $"#SBATCH --job-name={jobName}");
        sb.AppendLine(ci, $"#SBATCH --array=0-{tasks - 1}");
        if (ranksPerTask > 1) sb.AppendLine(ci, $"#SBATCH --ntasks={ranksPerTask}");
        sb.AppendLine(ci, $"#SBATCH --cpus-per-task={cpusPerTask}");
        sb.AppendLine(ci, $"#SBATCH --mem={memoryGb}G");
        sb.AppendLine(ci, $"#SBATCH --time={(int)timePerTask.TotalHours:D2}:{timePerTask.Minutes:D2}:{timePerTask.Seconds:D2}");
        sb.AppendLine(ci, $"#SBATCH --output={runDirectory}/logs/%x-%A_%a.out");   // the folder must exist at submission
        sb.AppendLine("# Each task runs the trials with index % SLURM_ARRAY_TASK_COUNT == task id; finished trials " +
            "are skipped,");
        sb.AppendLine("# so re-submitting this script completes only what is missing. Merge with: lowrank report " +
            "RUN_DIR");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine(ci, $"mkdir -p {ShellQuote(runDirectory + "/logs")}");
        sb.AppendLine(command);
        return sb.ToString();
    }
}
