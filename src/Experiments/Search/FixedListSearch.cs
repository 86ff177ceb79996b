// The fixed-list strategy (grid, random, one-at-a-time, explicit trials): every trial of this shard without a record,
// in order; records found already there are reported as skipped, so a re-run resumes (a transient failure's record is
// not final: its trial runs again). Each trial is claimed before it starts (TrialClaims, as successive halving does),
// so several processes over one run directory — two one-thread processes on a two-core machine, or job-array tasks that
// share no shard index — split the trials instead of each running every one; a trial another live process holds is left
// to it, and one whose holder died or went silent is taken over. Launched as several MPI ranks, the process group
// trains each trial data-parallel: rank 0 leads (claims, records), the others follow its announcements. A trial
// checkpoints as it trains (checkpoints/<id>.ckpt, deleted once its record is written), so a long trial interrupted by
// a stop, a kill or a lost claim resumes where it was, with the same result as an uninterrupted run.
using Microsoft.ML.Runtime;

namespace MLNet.LowRank.Experiments.Search;

internal static class FixedListSearch
{
    public static void Run(TrialSession session, IReadOnlyList<TrialSettings> mine, TimeSpan staleClaimAfter,
        CancellationToken ct)
    {
        // Launched as several MPI ranks (srun -n N inside an array task): each trial trains data-parallel over them.
        // Rank 0 chooses and claims the trials and writes their records; the other ranks train whatever it announces.
        var ranks = Runtime.Mpi.Launched && Runtime.Mpi.World.Size > 1 ? Runtime.Mpi.World : null;
        if (ranks is { Rank: > 0 })
        {
            Follow(session, mine, ranks, ct);
            return;
        }
        try { Lead(session, mine, staleClaimAfter, ct, ranks); }
        finally { ranks?.Broadcast([-1]); }   // the followers stop with the leader, however it stops
    }

    /// <summary>A follower rank: trains each trial rank 0 announces (−1: none left), writing nothing.</summary>
    static void Follow(TrialSession session, IReadOnlyList<TrialSettings> mine, Runtime.Mpi ranks, CancellationToken ct)
    {
        while (true)
        {
            double[] next = [0];
            ranks.Broadcast(next);
            if (next[0] < 0) return;
            var trial = mine.First(t => t.Index == (int)next[0]);
            try { session.Execute(trial, session.Store.CheckpointOf(trial.Id), ct); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { } // the leader gave the trial up
        }
    }

    static void Lead(TrialSession session, IReadOnlyList<TrialSettings> mine, TimeSpan staleClaimAfter,
        CancellationToken ct, Runtime.Mpi? ranks)
    {
        session.Total = mine.Count;
        var recorded = session.Store.ReadAll().Where(r => !r.Transient).ToDictionary(r => r.Id);
        foreach (var trial in mine.Where(t => recorded.ContainsKey(t.Id)))
            session.ReportSkipped(trial, recorded[trial.Id]);
        var claims = session.Store.Claims(staleClaimAfter);
        Directory.CreateDirectory(session.Store.CheckpointsDirectory);
        int heldElsewhere = 0;
        foreach (var trial in mine.Where(t => !recorded.ContainsKey(t.Id)))
        {
            ct.ThrowIfCancellationRequested();
            if (session.BudgetSpent()) break;
            if (session.Store
                .IsFinished(trial.Id)) { session.Done++; continue; } // another process finished it meanwhile
            using var lease = claims.TryClaim(trial.Id, 0);
            if (lease is null) { heldElsewhere++; continue; }                   // another live process runs it
            if (session.Store
                .IsFinished(trial.Id)) { session.Done++; continue; } // finished between the check and the claim
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.LostToken);
            TrialResult result;
            string checkpoint = session.Store.CheckpointOf(trial.Id);
            ranks?.Broadcast([trial.Index]);   // the other ranks train it with this one
            try { result = session.Execute(trial, checkpoint, stopped.Token); }
            catch (OperationCanceledException) when (lease.IsLost && !ct.IsCancellationRequested)
            {
                session.Channel
                    .Warning(MessageSensitivity.None, $"Trial {trial.Id}: another process took it over (this one was " +
                    $"not heard from within {staleClaimAfter}); this process leaves it to that one.");
                continue;
            }
            if (lease.IsLost) continue; // the new holder runs it and writes its record
            session.Store.Write(result);
            if (!result.Transient) File.Delete(checkpoint); // a transient failure resumes from it next time
            session.Store.WriteSummary();
            session.Done++;
            session.Ended(trial, result);
        }
        if (heldElsewhere > 0)
            session.Channel
                .Info(MessageSensitivity.None, $"{heldElsewhere} trial(s) of this list are running in another " +
                $"process; their records appear in {session.Store.Directory} when they finish (run again to wait for " +
                $"them, or to take over one whose process stopped).");
    }
}
