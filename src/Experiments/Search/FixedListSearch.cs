// The fixed-list strategy (grid, random, one-at-a-time, explicit trials): every trial of this shard without a record,
// in order; records found already there are reported as skipped, so a re-run resumes (a transient failure's record is
// not final: its trial runs again).
namespace MLNet.LowRank.Experiments.Search;

internal static class FixedListSearch
{
    public static void Run(TrialSession session, IReadOnlyList<TrialSettings> mine, CancellationToken ct)
    {
        session.Total = mine.Count;
        var recorded = session.Store.ReadAll().Where(r => !r.Transient).ToDictionary(r => r.Id);
        foreach (var trial in mine.Where(t => recorded.ContainsKey(t.Id)))
            session.ReportSkipped(trial, recorded[trial.Id]);
        foreach (var trial in mine.Where(t => !recorded.ContainsKey(t.Id)))
        {
            ct.ThrowIfCancellationRequested();
            if (session.BudgetSpent()) break;
            if (session.Store.IsFinished(trial.Id)) { session.Done++; continue; } // another process finished it meanwhile
            var result = session.Execute(trial, checkpoint: null, ct);
            session.Store.Write(result);
            session.Store.WriteSummary();
            session.Done++;
            session.Ended(trial, result);
        }
    }
}
