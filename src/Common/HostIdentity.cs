// Who this process is, as files shared between processes and hosts record it (claims on runs, temporary files): a host
// name and a process id. A process id can only be checked on the host that issued it, so anything that decides "its
// writer is gone" from a process id must first see that the writer was on this host.
namespace MLNet.LowRank.Common;

/// <summary>This process's host name and id, and whether a process on this host is still running.</summary>
public static class HostIdentity
{
    /// <summary>The environment variable that overrides the host name: set it when several containers share one host
    /// name but not one process table, so each is told apart (and none judges another's processes gone).</summary>
    public const string Variable = "LOWRANK_HOST_ID";

    /// <summary>This host's name as recorded in shared files: <see cref="Variable"/> when set, else the machine name;
    /// letters, digits, '-' and '_' only (anything else becomes '_'), so it can sit inside a file name.</summary>
    public static string Name { get; } = Sanitize(Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? v
        : Environment.MachineName);

    /// <summary>This process's id.</summary>
    public static int ProcessId => Environment.ProcessId;

    /// <summary>True when <paramref name="host"/> is this host and process <paramref name="pid"/> has exited (or never
    /// existed) here. False for another host's process, whose state this host cannot know.</summary>
    public static bool IsGoneHere(string host, int pid)
    {
        if (host != Name || pid == ProcessId) return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException) { return true; } // no such process
    }

    static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
