// Writes a file so that a crash or kill at any moment leaves either the old file or the new one, never half of one:
// write a unique temporary file beside the target, flush it to disk, rename it over the target.
namespace MLNet.LowRank.Training;

/// <summary>Crash-safe file replacement.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            RemoveStaleTemporaries(full);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Deletes temporary files of <paramref name="full"/> left by writers that were killed mid-write (their
    /// process is gone); a live writer's temporary file is left alone.</summary>
    static void RemoveStaleTemporaries(string full)
    {
        string prefix = Path.GetFileName(full) + ".";
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(full)!, prefix + "*.tmp"))
        {
            var parts = Path.GetFileName(file)[prefix.Length..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], out int pid) || IsRunning(pid)) continue;
            try { File.Delete(file); } catch (IOException) { }
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteText(string path, string content) =>
        Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(content)));
}
