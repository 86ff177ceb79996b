// Claims on runs shared by processes and hosts (TrialClaims), best.zip chosen from every shard's records, and temporary
// files of other hosts: each checked in-process with claim files written as another process or host would leave them.
using MLNet.LowRank.Common;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Experiments.Search;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Experiments;

public class ClaimTests
{
    /// <summary>A process id no process has: beyond Linux's pid_max (4,194,304).</summary>
    const int NoSuchProcess = 9_999_999;

    /// <summary>Writes generation <paramref name="generation"/> of (id, rung) as a holder on <paramref name="host"/>
    /// would.</summary>
    static string Forge(TrialClaims claims, string id, int rung, int generation, string host, int pid,
        string state = "held", TimeSpan? age = null)
    {
        Directory.CreateDirectory(claims.Directory);
        string path = claims.PathOf(id, rung, generation);
        File.WriteAllText(path, $"{host} {pid} {Guid.NewGuid():N} {state} {DateTime.UtcNow:O}\n");
        if (age is TimeSpan a) File.SetLastWriteTimeUtc(path, DateTime.UtcNow - a);
        return path;
    }

    [Fact]
    public void A_live_claim_is_not_taken_and_a_released_one_is_free_at_once()
    {
        using var temp = new TempDirectory("claims-");
        var claims = new TrialClaims(Path.Combine(temp.Path, "claims"), TimeSpan.FromMinutes(15));
        var first = claims.TryClaim("trial-000-a", 0);
        first.Should().NotBeNull();
        claims.TryClaim("trial-000-a", 0).Should().BeNull("this process holds it and is alive");
        claims.TryClaim("trial-000-a",
            1).Should().NotBeNull("another rung is another run").And.Subject.As<ClaimLease>().Dispose();
        claims.Active().Should().BeEquivalentTo([("trial-000-a", 0)]);
        first!.Dispose();
        claims.Active().Should().BeEmpty();
        using var second = claims.TryClaim("trial-000-a", 0);
        second.Should().NotBeNull("a released run can be claimed without waiting for the stale time");
        second!.Generation.Should().BeGreaterThan(first.Generation, "generations only grow, so a name is never reused");
        claims.Generations("trial-000-a", 0).Should().ContainSingle("a new top prunes the generations below it");
    }

    [Fact]
    public void Of_many_takers_of_a_stale_claim_exactly_one_wins()
    {
        using var temp = new TempDirectory("claims-");
        var claims = new TrialClaims(Path.Combine(temp.Path, "claims"), TimeSpan.FromSeconds(30));
        Forge(claims, "trial-001-b", 2, 0, "elsewhere", 1234, age: TimeSpan.FromMinutes(5));
        using var start = new Barrier(16);
        var leases = new ClaimLease?[16];
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            start.SignalAndWait();
            leases[i] = claims.TryClaim("trial-001-b", 2);
        });
        leases.Count(l => l is not null).Should().Be(1, "creating the next generation is exclusive");
        foreach (var l in leases) l?.Dispose();
    }

    [Fact]
    public void Another_hosts_claim_is_judged_by_its_age_only_and_this_hosts_by_its_process_too()
    {
        using var temp = new TempDirectory("claims-");
        var claims = new TrialClaims(Path.Combine(temp.Path, "claims"), TimeSpan.FromMinutes(15));
        // A process id that is not running here says nothing about another host's process.
        Forge(claims, "t-other", 0, 0, "some-other-host", NoSuchProcess);
        claims.TryClaim("t-other", 0).Should().BeNull("another host's fresh claim stands whatever its process id");
        Forge(claims, "t-other", 0, 1, "some-other-host", NoSuchProcess, age: TimeSpan.FromMinutes(20));
        using (var taken = claims.TryClaim("t-other",
            0)) taken.Should().NotBeNull("silent for longer than the stale time");
        // On this host a holder whose process is gone is taken over at once.
        Forge(claims, "t-here", 0, 0, HostIdentity.Name, NoSuchProcess);
        using var mine = claims.TryClaim("t-here", 0);
        mine.Should().NotBeNull("its process has exited");
    }

    [Fact]
    public void A_holder_that_was_taken_over_learns_it_at_its_next_heartbeat_and_releases_nothing()
    {
        using var temp = new TempDirectory("claims-");
        var claims = new TrialClaims(Path.Combine(temp.Path, "claims"), TimeSpan.FromMinutes(15));
        var lease = claims.TryClaim("trial-002-c", 1)!;
        lease.Heartbeat();
        lease.IsLost.Should().BeFalse();
        // Another host judged this holder stale (a long pause of this process) and took generation n+1.
        string theirs = Forge(claims, "trial-002-c", 1, lease.Generation + 1, "some-other-host", 42);
        lease.Heartbeat();
        lease.IsLost.Should().BeTrue();
        lease.LostToken.IsCancellationRequested.Should().BeTrue("the run under way is told to stop");
        lease.Dispose();
        claims.Generations("trial-002-c",
            1).Select(g => g.Path).Should().Equal([claims.PathOf("trial-002-c", 1, lease.Generation),
            theirs], "the loser writes no release over the winner");
        claims.Active().Should().Contain(("trial-002-c", 1));
    }

    [Fact]
    public void The_heartbeat_runs_on_its_own_so_a_silent_stretch_of_work_keeps_the_claim()
    {
        using var temp = new TempDirectory("claims-");
        var claims = new TrialClaims(Path.Combine(temp.Path, "claims"), TimeSpan.FromSeconds(1));
        using var lease = claims.TryClaim("trial-003-d", 0)!;
        string path = claims.PathOf("trial-003-d", 0, lease.Generation);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - TimeSpan.FromSeconds(10));
        // Data preparation, the final evaluation or a save report no progress; the timer beats regardless.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromSeconds(1)
            && DateTime.UtcNow < deadline) Thread.Sleep(20);
        (DateTime.UtcNow - File.GetLastWriteTimeUtc(path)).Should()
            .BeLessThan(TimeSpan.FromSeconds(1), "the timer touched the claim");
        claims.TryClaim("trial-003-d", 0).Should().BeNull();
    }

    [Fact]
    public void A_temporary_file_of_another_host_survives_a_write_and_one_of_a_dead_local_writer_does_not()
    {
        using var temp = new TempDirectory("atomic-");
        string target = Path.Combine(temp.Path, "record.json");
        string theirs = $"{target}.{NoSuchProcess}@some-other-host.{Guid.NewGuid():N}.tmp";
        string deadHere = $"{target}.{NoSuchProcess}@{HostIdentity.Name}.{Guid.NewGuid():N}.tmp";
        string legacy = $"{target}.{NoSuchProcess}.{Guid.NewGuid():N}.tmp";
        foreach (var f in new[] { theirs, deadHere, legacy }) File.WriteAllText(f, "in flight");
        MLNet.LowRank.Common.AtomicFile.WriteText(target, "{}");
        File.Exists(theirs).Should().BeTrue("another host's writer may be alive: this host cannot know");
        File.Exists(legacy).Should().BeTrue("a name that says no host could be any host's");
        File.Exists(deadHere).Should().BeFalse("its writer on this host is gone");
    }

    /// <summary>A trial id of the form the store accepts (trial-NNN-&lt;16 hex&gt;), fixed per index.</summary>
    static string Id(int index) => $"trial-{index:D3}-{index:x16}";

    static TrialResult Record(int index, double perplexity) => new()
    {
        Id = Id(index), Index = index, Parameters = [], Configuration = [], Status = TrialStatus.Completed,
            Perplexity = perplexity,
    };

    [Fact]
    public void Best_zip_is_the_best_of_every_shards_records_whichever_shard_publishes_last()
    {
        using var temp = new TempDirectory("best-");
        var store = new ResultStore(Path.Combine(temp.Path, "run"));
        string models = Path.Combine(temp.Path, "models");
        Directory.CreateDirectory(models);
        void Finish(int index, double perplexity)
        {
            File.WriteAllText(Path.Combine(models, $"{Id(index)}.zip"), $"model {index}");
            store.Write(Record(index, perplexity));
        }
        // Shard A finishes trial 1 (perplexity 20) and publishes; shard B finishes trial 2 (10) and publishes; then A
        // finishes trial 3 (15), better than anything A trained, and publishes last.
        Finish(1, 20);
        BestModel.Publish(models, store, ExperimentObjective.Perplexity, keepEveryModel: false).Should().Be(Id(1));
        Finish(2, 10);
        BestModel.Publish(models, store, ExperimentObjective.Perplexity, keepEveryModel: false).Should().Be(Id(2));
        Finish(3, 15);
        BestModel.Publish(models, store, ExperimentObjective.Perplexity, keepEveryModel: false).Should().Be(Id(2));
        File.ReadAllText(Path.Combine(models, "best.zip")).Should()
            .Be("model 2", "the best of all records, not of the last publisher's own trials");
        Directory.GetFiles(models).Select(Path.GetFileName).Order(StringComparer.Ordinal).Should()
            .Equal("best.json", "best.zip");

        // A trial finished but not yet published by its shard (its record written, its zip there) still wins.
        Finish(4, 5);
        Finish(5, 30);
        BestModel.Publish(models, store, ExperimentObjective.Perplexity, keepEveryModel: true).Should().Be(Id(4));
        File.ReadAllText(Path.Combine(models, "best.zip")).Should().Be("model 4");
        File.Exists(Path.Combine(models, $"{Id(5)}.zip")).Should().BeTrue("every model is kept when asked");
        // A model written by a trial still being recorded (no record yet) is never touched.
        File.WriteAllText(Path.Combine(models, $"{Id(6)}.zip"), "model 6");
        BestModel.Publish(models, store, ExperimentObjective.Perplexity, keepEveryModel: false);
        File.Exists(Path.Combine(models, $"{Id(6)}.zip")).Should().BeTrue();
        File.Exists(Path.Combine(models, $"{Id(5)}.zip")).Should().BeFalse();
    }

    [Fact]
    public void A_transient_failure_is_not_final_and_a_deterministic_one_is()
    {
        using var temp = new TempDirectory("transient-");
        var store = new ResultStore(temp.Path);
        store.Write(Record(0, 10) with { Status = TrialStatus.Failed, Error = "OutOfMemoryException",
            Transient = TrialFailure.IsTransient(new OutOfMemoryException()) });
        store.Write(Record(1, 10) with { Status = TrialStatus.Failed, Error = "ArgumentException",
            Transient = TrialFailure.IsTransient(new ArgumentException("rank")) });
        store.IsFinished(Id(0)).Should()
            .BeFalse("out of memory is the machine's state, not the trial's: a rerun retries it");
        store.IsFinished(Id(1)).Should().BeTrue("a bad configuration fails the same way every time");
        TrialFailure.IsTransient(new IOException("No space left on device")).Should().BeTrue();
        TrialFailure.IsTransient(new InvalidOperationException("wrapped", new IOException("disk"))).Should().BeTrue();
        TrialFailure.IsTransient(new FileNotFoundException("gone")).Should().BeFalse();
        TrialFailure.IsTransient(new InvalidDataException("corrupt")).Should().BeFalse();
        TrialFailure
            .IsTransient(new System.Runtime.InteropServices.ExternalException("[enforce fail at alloc_cpu.cpp:75] " +
            "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes.")).Should().BeTrue();
        TrialFailure
            .IsTransient(new System.Runtime.InteropServices.ExternalException("shape '[2, 3]' is invalid for input " +
            "of size 5")).Should().BeFalse();
    }
}
