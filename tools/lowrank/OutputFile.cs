// Files a command writes at its end (a saved model, a history CSV): checked before any work starts, so an unwritable
// path is an error in the first second rather than after an hour of training; and a save that still fails at the end
// puts the model somewhere it can go, and says where.
namespace MLNet.LowRank.Cli;

static class OutputFile
{
    /// <summary>Throws, naming <paramref name="option"/>, when <paramref name="file"/> cannot be written: its folder is
    /// missing or read-only, or the path is a folder. Probes by creating (and removing) a file beside it.</summary>
    public static void Check(FileInfo? file, string option)
    {
        if (file is null) return;
        if (Directory.Exists(file.FullName))
            throw new ArgumentException($"{option} {file.FullName} is a folder; give a file path.");
        string folder = file.DirectoryName ?? ".";
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{option} {file.FullName}: the folder {folder} does not exist. " +
                $"Create it, or choose another path.");
        string probe = Path.Combine(folder, $".lowrank-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException($"{option} {file.FullName}: this process cannot write " +
                $"in {folder} ({e.Message}). Choose a writable path before training, so the result is not lost at " +
                $"the end.");
        }
    }

    /// <summary>Runs <paramref name="write"/> to <paramref name="path"/>; if it fails, writes to a fallback file in the
    /// temporary folder instead and says so on stderr. Returns the path written.</summary>
    public static string WriteOrFallBack(string path, string option, Action<string> write)
    {
        try
        {
            write(path);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string fallback =
                Path.Combine(Path.GetTempPath(), $"lowrank-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Path.GetFileName(path)}");
            write(fallback);
            Console.Error
                .WriteLine($"lowrank: {option} {path} could not be written ({e.Message.Split('\n')[0]}); it was " +
                $"written to {fallback} instead.");
            return fallback;
        }
    }
}
