// Asynchronous successive halving over a fixed list of candidates: every candidate trains its whole budget's schedule
// but pauses at rungs (checkpointed), and only the best 1/η of each rung is promoted. A shard starts only its own
// candidates but promotes any, so shards over one run directory share the work as it comes (claims and heartbeats in
// the result store).
using Microsoft.ML.Runtime;

namespace MLNet.LowRank.Experiments.Search;

internal sealed class SuccessiveHalvingSearch(TrialSession session, SuccessiveHalvingOptions options, IReadOnlyList<int> rungs, TimeSpan staleClaimAfter)
{
    ResultStore Store => session.Store;

    public void Run(IReadOnlyList<TrialSettings> all, IReadOnlyList<TrialSettings> mine, CancellationToken ct)
    {
        var byId = all.ToDictionary(t => t.Id);
        var own = mine.Select(t => t.Id).ToHashSet();
        int eta = options.ReductionFactor;
        session.Total = all.Count;
        Directory.CreateDirectory(Store.CheckpointsDirectory);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (session.BudgetSpent()) return;
            var records = Store.ReadRungs();
            var loss = records.ToDictionary(r => r.Key, r => r.Value.Status == TrialStatus.Paused || r.Value.Status == TrialStatus.Completed ? r.Value.CrossEntropy ?? double.PositiveInfinity : double.PositiveInfinity);
            var busy = Store.ActiveClaims(staleClaimAfter);
            // Candidates of other shards are never started here, only promoted: mark them busy at rung 0.
            var blocked = busy.Concat(all.Where(t => !own.Contains(t.Id) && !loss.ContainsKey((t.Id, 0))).Select(t => (t.Id, 0))).ToHashSet();
            var next = SuccessiveHalving.Next(all.Select(t => t.Id).ToList(), rungs.Count, eta, loss, blocked);
            if (next is not (string id, int rung))
            {
                // Final only when every candidate of every shard has started and nothing runs anywhere: until then a
                // new result can still promote a candidate.
                if (busy.Count == 0 && all.All(t => loss.ContainsKey((t.Id, 0)))) Finish(all, records);
                else session.Channel.Info(MessageSensitivity.None, $"Successive halving: nothing left for this process now ({busy.Count} run(s) under way elsewhere, {all.Count(t => !loss.ContainsKey((t.Id, 0)))} candidate(s) of other shards not started). Run again to finish.");
                return;
            }
            if (!Store.TryClaim(id, rung, staleClaimAfter)) continue; // another process took it first
            try
            {
                bool last = rung == rungs.Count - 1;
                var trial = byId[id] with { Rung = rung, PauseAtStep = last ? null : rungs[rung] };
                var result = session.Execute(trial, Store.CheckpointOf(id), ct, () => Store.Heartbeat(id, rung));
                Store.WriteRung(result, rung);
                if (last || result.Status is TrialStatus.Failed or TrialStatus.Diverged)
                {
                    Store.Write(result);
                    File.Delete(Store.CheckpointOf(id));
                    session.Done++;
                }
                Store.WriteSummary();
                session.Ended(trial, result);
            }
            finally { Store.Release(id, rung); }
        }
    }

    /// <summary>Every candidate that stopped below the last rung gets its final record: Stopped, from its last rung.</summary>
    void Finish(IReadOnlyList<TrialSettings> all, IReadOnlyDictionary<(string Id, int Rung), TrialResult> records)
    {
        foreach (var trial in all)
        {
            if (Store.IsFinished(trial.Id)) continue;
            var reached = Enumerable.Range(0, rungs.Count).Where(k => records.ContainsKey((trial.Id, k))).ToList();
            if (reached.Count == 0) continue;
            var last = records[(trial.Id, reached.Max())];
            Store.Write(last with { Status = TrialStatus.Stopped });
            File.Delete(Store.CheckpointOf(trial.Id));
        }
    }

    /// <summary>The steps each candidate trained under successive halving, and a full grid's.</summary>
    public EarlyStoppingSummary Summary(IReadOnlyList<TrialSettings> all)
    {
        var records = Store.ReadRungs();
        long trained = all.Sum(t => (long)Enumerable.Range(0, rungs.Count).Where(k => records.ContainsKey((t.Id, k))).Select(k => records[(t.Id, k)].Steps).DefaultIfEmpty(0).Max());
        var perRung = Enumerable.Range(0, rungs.Count).Select(k => all.Count(t => records.ContainsKey((t.Id, k)))).ToArray();
        return new EarlyStoppingSummary(rungs, perRung, trained, (long)all.Count * rungs[^1]);
    }
}
