// Resident memory of this process, read cheaply enough to sample every training step.
namespace MLNet.LowRank.Training;

/// <summary>Reads the process's resident set size.</summary>
public static class ProcessMemory
{
    static readonly long PageSize = Environment.SystemPageSize;

    /// <summary>Current resident memory in bytes (/proc/self/statm on Linux, the working set elsewhere).</summary>
    public static long ResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // statm: size resident shared text lib data dt (pages)
                var text = File.ReadAllText("/proc/self/statm");
                int a = text.IndexOf(' ') + 1, b = text.IndexOf(' ', a);
                return long.Parse(text.AsSpan(a, b - a)) * PageSize;
            }
            catch (IOException) { }
        }
        return Environment.WorkingSet;
    }
}
