// Claims on runs under way, so processes sharing one run directory (shards, job-array tasks, several hosts) never run
// the same (trial, rung) at once. Only one filesystem operation is trusted to be atomic: creating a file that must not
// exist (O_EXCL, atomic on local disks and on NFS v3+). So a claim is a sequence of generations,
// claims/<id>.r<k>.g<n>.claim, each created exclusively and never rewritten; the highest generation present says who
// holds the run, and only a new top prunes those below it. Taking over a holder that is gone (its process exited, on
// this host) or silent for longer than the stale time creates generation n+1, so of two processes taking over at once
// exactly one wins; releasing creates generation n+1 marked released. A holder's heartbeat (a timer, so data
// preparation, the final evaluation and the save are covered as well as training) checks that its generation is still
// the highest and holds its token; when not, the lease is lost and its cancellation token fires, so the loser stops
// instead of racing the winner for the checkpoint and the records.
using System.Globalization;
using System.Text;
using MLNet.LowRank.Common;

namespace MLNet.LowRank.Experiments;

/// <summary>The claims directory of a run directory.</summary>
internal sealed class TrialClaims(string directory, TimeSpan staleAfter)
{
    const string Held = "held", Released = "released";

    /// <summary>Where the claim files live.</summary>
    public string Directory { get; } = directory;

    /// <summary>How long a holder may stay silent before its claim is taken over.</summary>
    public TimeSpan StaleAfter { get; } = staleAfter;

    /// <summary>Claims (<paramref name="id"/>, <paramref name="rung"/>) for this process: a lease to dispose when the
    /// run ends, or null when a live holder has it (or another process claimed it first).</summary>
    public ClaimLease? TryClaim(string id, int rung)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var top = Generations(id, rung).LastOrDefault();
        if (top.Path is not null && IsLive(top.Path)) return null;
        int generation = top.Path is null ? 0 : top.Generation + 1;
        string token = Guid.NewGuid().ToString("N");
        if (!TryCreate(PathOf(id, rung, generation), token, Held)) return null;
        var generations = Generations(id, rung);
        // A process that stalled between listing and creating may have re-created a pruned generation below the top.
        if (generations[^1].Generation != generation) return null;
        // Lower generations are done with: pruned, so the directory stays small. The top is never deleted, so a name is
        // never used twice (generations only grow while the top exists).
        foreach (var (g, path) in generations)
            if (g < generation) try { File.Delete(path); } catch (IOException) { }
        return new ClaimLease(this, id, rung, generation, token);
    }

    /// <summary>The runs some live process holds.</summary>
    public IReadOnlySet<(string Id, int Rung)> Active()
    {
        var active = new HashSet<(string, int)>();
        if (!System.IO.Directory.Exists(Directory)) return active;
        foreach (var group in All().GroupBy(c => (c.Id, c.Rung)))
            if (IsLive(group.MaxBy(c => c.Generation).Path)) active.Add(group.Key);
        return active;
    }

    internal string PathOf(string id, int rung, int generation) => Path.Combine(Directory,
        FormattableString.Invariant($"{id}.r{rung}.g{generation}.claim"));

    /// <summary>The generations of one run's claim, lowest first.</summary>
    internal IReadOnlyList<(int Generation, string Path)> Generations(string id, int rung) =>
        !System.IO.Directory.Exists(Directory) ? [] :
        All().Where(c => c.Id == id && c.Rung == rung).OrderBy(c => c.Generation).Select(c => (c.Generation,
        c.Path)).ToList();

    IEnumerable<(string Id, int Rung, int Generation, string Path)> All()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.claim"))
        {
            // <id>.r<k>.g<n>: the id itself may hold dots, so parse from the end.
            string name = Path.GetFileNameWithoutExtension(path);
            int g = name.LastIndexOf(".g", StringComparison.Ordinal);
            int r = g > 0 ? name.LastIndexOf(".r", g - 1, StringComparison.Ordinal) : -1;
            if (r <= 0
                || !int.TryParse(name[(g + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out int generation)
                || !int.TryParse(name[(r + 2)..g], NumberStyles.None, CultureInfo.InvariantCulture, out int rung))
                continue;
            yield return (name[..r], rung, generation, path);
        }
    }

    /// <summary>Creates <paramref name="path"/> exclusively with its holder's line; false when it already
    /// exists.</summary>
    internal static bool TryCreate(string path, string token, string state)
    {
        try
        {
            using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            f.Write(Encoding.UTF8
                .GetBytes($"{HostIdentity.Name} {HostIdentity.ProcessId} {token} {state} {DateTime.UtcNow:O}\n"));
            f.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path)) { return false; }
    }

    /// <summary>The holder's line: host, process id, token, state; null fields when the file is unreadable or still
    /// being written (a holder creates its file and writes its line in two steps).</summary>
    internal static (string? Host, int Pid, string? Token, string? State) ReadHolder(string path)
    {
        try
        {
            var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 4 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture,
                out int pid)) return (null, 0, null, null);
            return (parts[0], pid, parts[2], parts[3]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (null, 0, null, null); }
    }

    /// <summary>True when the claim file says a run is held by a process that is not known to be gone and has been
    /// heard from within the stale time. A file whose line is not written yet counts as held (its creator is writing
    /// it).</summary>
    bool IsLive(string path)
    {
        DateTime touched;
        try { touched = File.GetLastWriteTimeUtc(path); }
        catch (IOException) { return false; }
        if (DateTime.UtcNow - touched > StaleAfter) return false;
        var (host, pid, _, state) = ReadHolder(path);
        if (state == Released) return false;
        return host is null || !HostIdentity.IsGoneHere(host, pid);
    }

    internal static string ReleasedState => Released;
}

/// <summary>This process's hold on one run: heartbeats on a timer while it lives, and knows when it has been
/// lost.</summary>
internal sealed class ClaimLease : IDisposable
{
    readonly TrialClaims claims;
    readonly string path;
    readonly CancellationTokenSource lost = new();
    readonly Timer timer;
    int disposed;

    internal ClaimLease(TrialClaims claims, string id, int rung, int generation, string token)
    {
        this.claims = claims;
        Id = id;
        Rung = rung;
        Generation = generation;
        Token = token;
        path = claims.PathOf(id, rung, generation);
        // Several beats per stale time, so one late beat (a loaded machine, a slow shared disk) never loses the claim.
        var period = TimeSpan.FromTicks(Math.Clamp(claims.StaleAfter.Ticks / 5, TimeSpan.FromMilliseconds(20).Ticks,
            TimeSpan.FromMinutes(1).Ticks));
        timer = new Timer(_ => Heartbeat(), null, period, period);
    }

    public string Id { get; }
    public int Rung { get; }
    public int Generation { get; }
    public string Token { get; }

    /// <summary>True once another process has taken the run over.</summary>
    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>Fires when the run is lost.</summary>
    public CancellationToken LostToken => lost.Token;

    /// <summary>Marks the claim alive, after checking it is still this process's: the highest generation, holding this
    /// lease's token. When it is not, the lease is lost for good.</summary>
    public void Heartbeat()
    {
        if (IsLost || Volatile.Read(ref disposed) != 0) return;
        try
        {
            if (!StillMine()) { lost.Cancel(); return; }
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (IOException) { } // a shared disk that hiccups: the next beat tries again
        catch (UnauthorizedAccessException) { }
        catch (ObjectDisposedException) { }
    }

    bool StillMine() =>
        File.Exists(path)
        && TrialClaims.ReadHolder(path).Token is var token && (token is null || token == Token)
        && claims.Generations(Id, Rung).LastOrDefault().Generation == Generation;

    /// <summary>Stops the heartbeat and releases the run (when still held), so another process may run it at
    /// once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        timer.Dispose();
        try
        {
            if (!IsLost && StillMine())
                TrialClaims.TryCreate(claims.PathOf(Id, Rung, Generation + 1), Token, TrialClaims.ReleasedState);
        }
        catch (IOException) { } // not released: the claim goes stale and is taken over
        lost.Dispose();
    }
}
