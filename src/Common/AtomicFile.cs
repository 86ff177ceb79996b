// Writes a file so that a crash or kill at any moment leaves either the old file or the new one, never half of one:
// write a unique temporary file beside the target, flush it to disk, rename it over the target. The temporary file's
// name carries its writer's process id and host, so a later writer removes only what a killed process on its own host
// left: a run directory shared between hosts never loses another host's file in flight.

namespace MLNet.LowRank.Common;

/// <summary>Crash-safe file replacement.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{HostIdentity.ProcessId}@{HostIdentity.Name}.{Guid.NewGuid():N}.tmp";
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

    /// <summary>Deletes temporary files of <paramref name="full"/> left by writers on this host that were killed
    /// mid-write (their process is gone); a live writer's file, another host's, and one whose name says no host, are
    /// left alone.</summary>
    static void RemoveStaleTemporaries(string full)
    {
        string prefix = Path.GetFileName(full) + ".";
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(full)!, prefix + "*.tmp"))
        {
            var parts = Path.GetFileName(file)[prefix.Length..].Split('.');
            var writer = parts.Length == 3 ? parts[0].Split('@') : [];
            if (writer.Length != 2 || !int.TryParse(writer[0], out int pid) || !HostIdentity.IsGoneHere(writer[1],
                pid)) continue;
            try { File.Delete(file); } catch (IOException) { }
        }
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteText(string path, string content) =>
        Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(content)));
}
