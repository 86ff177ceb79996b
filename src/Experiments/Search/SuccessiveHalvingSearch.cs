// Asynchronous successive halving over a fixed list of candidates: every candidate trains its whole budget's schedule
// but pauses at rungs (checkpointed), and only the best 1/η of each rung is promoted. A shard starts only its own
// candidates but promotes any, so shards over one run directory share the work as it comes (TrialClaims: a run is
// claimed before it starts, re-checked after, and abandoned if another process takes it over).
using Microsoft.ML.Runtime;

namespace MLNet.LowRank.Experiments.Search;

internal sealed class SuccessiveHalvingSearch(TrialSession session, SuccessiveHalvingOptions options,
    IReadOnlyList<int> rungs, TimeSpan staleClaimAfter)
{
    ResultStore Store => session.Store;

    public void Run(IReadOnlyList<TrialSettings> all, IReadOnlyList<TrialSettings> mine, CancellationToken ct)
    {
        var byId = all.ToDictionary(t => t.Id);
        var own = mine.Select(t => t.Id).ToHashSet();
        int eta = options.ReductionFactor;
        session.Total = all.Count;
        Directory.CreateDirectory(Store.CheckpointsDirectory);
        var claims = Store.Claims(staleClaimAfter);
        RetryTransientFailures();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (session.BudgetSpent()) return;
            var records = Store.ReadRungs();
            var loss = records.ToDictionary(r => r.Key,
                r => r.Value.Status == TrialStatus.Paused || r.Value.Status == TrialStatus.Completed
                ? r.Value.CrossEntropy ?? double.PositiveInfinity : double.PositiveInfinity);
            var busy = claims.Active();
            // Candidates of other shards are never started here, only promoted: mark them busy at rung 0.
            var blocked = busy.Concat(all.Where(t => !own.Contains(t.Id) && !loss.ContainsKey((t.Id,
                0))).Select(t => (t.Id, 0))).ToHashSet();
            var next = SuccessiveHalving.Next(all.Select(t => t.Id).ToList(), rungs.Count, eta, loss, blocked);
            if (next is not (string id, int rung))
            {
                // Final only when every candidate of every shard has started and nothing runs anywhere: until then a
                // new result can still promote a candidate.
                if (busy.Count == 0 && all.All(t => loss.ContainsKey((t.Id, 0)))) Finish(all, records);
                else session.Channel
                    .Info(MessageSensitivity.None, $"Successive halving: nothing left for this process now " +
                    $"({busy.Count} run(s) under way " +
                    $"elsewhere, {all.Count(t => !loss.ContainsKey((t.Id, 0)))} candidate(s) of other shards not " +
                    $"started). Run again to finish.");
                return;
            }
            using var lease = claims.TryClaim(id, rung);
            if (lease is null) continue; // another process took it first
            // Finished by another process between reading the records and claiming: not run again.
            if (Store.HasRung(id, rung)) continue;
            bool last = rung == rungs.Count - 1;
            var trial = byId[id] with { Rung = rung, PauseAtStep = last ? null : rungs[rung] };
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.LostToken);
            TrialResult result;
            try { result = session.Execute(trial, Store.CheckpointOf(id), stopped.Token); }
            catch (OperationCanceledException) when (lease.IsLost
                && !ct.IsCancellationRequested) { Abandon(lease); continue; }
            if (lease.IsLost) { Abandon(lease); continue; } // the new holder runs it and writes its records
            // The trial record before the rung record: whoever sees the last rung recorded also sees the final record.
            if (last || result.Status is TrialStatus.Failed or TrialStatus.Diverged)
            {
                Store.Write(result);
                File.Delete(Store.CheckpointOf(id));
                session.Done++;
            }
            Store.WriteRung(result, rung);
            Store.WriteSummary();
            session.Ended(trial, result);
        }
    }

    void Abandon(ClaimLease lease) =>
        session.Channel.Warning(MessageSensitivity.None,
            $"Trial {lease.Id} at rung {lease.Rung}: another process took the run over (this one was not heard from " +
        $"within {staleClaimAfter}); this process leaves it to that one.");

    /// <summary>Rung records of transient failures (out of memory, I/O) are removed when a run starts, so it tries them
    /// again; a deterministic failure stays.</summary>
    void RetryTransientFailures()
    {
        foreach (var ((id, rung), record) in Store.ReadRungs())
            if (record.Status == TrialStatus.Failed && record.Transient)
            {
                session.Channel
                    .Info(MessageSensitivity.None, $"Trial {id} at rung {rung} failed transiently last time " +
                    $"({record.Error}); it runs again.");
                Store.DeleteRung(id, rung);
            }
    }

    /// <summary>Every candidate without a final record gets one from its last rung: Stopped when it was paused there
    /// (promoted no further); a finalist's own outcome (completed, failed, diverged) is kept as it was, never called
    /// stopped.</summary>
    void Finish(IReadOnlyList<TrialSettings> all, IReadOnlyDictionary<(string Id, int Rung), TrialResult> records)
    {
        foreach (var trial in all)
        {
            if (Store.IsFinished(trial.Id)) continue;
            var reached = Enumerable.Range(0, rungs.Count).Where(k => records.ContainsKey((trial.Id, k))).ToList();
            if (reached.Count == 0) continue;
            var last = records[(trial.Id, reached.Max())];
            Store.Write(last.Status == TrialStatus.Paused ? last with { Status = TrialStatus.Stopped } : last);
            File.Delete(Store.CheckpointOf(trial.Id));
        }
    }

    /// <summary>The steps each candidate trained under successive halving, and a full grid's.</summary>
    public EarlyStoppingSummary Summary(IReadOnlyList<TrialSettings> all)
    {
        var records = Store.ReadRungs();
        long trained = all.Sum(t => (long)Enumerable.Range(0,
            rungs.Count).Where(k => records.ContainsKey((t.Id, k))).Select(k => records[(t.Id,
            k)].Steps).DefaultIfEmpty(0).Max());
        var perRung = Enumerable.Range(0,
            rungs.Count).Select(k => all.Count(t => records.ContainsKey((t.Id, k)))).ToArray();
        return new EarlyStoppingSummary(rungs, perRung, trained, (long)all.Count * rungs[^1]);
    }
}
