// The adaptive strategy: an IAdaptiveTuner proposes each trial from the results before it. A resumed run replays the
// recorded trials through Update first, and refuses a directory whose records another tuner or seed proposed. A
// transient failure's record is not replayed: its trial (the same proposal, the tuner being seeded) runs again.
namespace MLNet.LowRank.Experiments.Search;

internal static class AdaptiveSearch
{
    public static void Run(TrialSession session, IAdaptiveTuner tuner, SearchSpace space, CancellationToken ct)
    {
        var recorded = session.Store.ReadAll().ToDictionary(r => r.Index);
        for (int index = 0; ; index++)
        {
            ct.ThrowIfCancellationRequested();
            var parameters = tuner.Propose(space);
            if (parameters is null) break;
            foreach (var (name, value) in parameters)
            {
                if (!TrialParameters.IsKnown(name))
                    throw new ArgumentException($"The tuner proposed unknown parameter " +
                        $"'{name}'{Common.Suggest.Closest(name, TrialParameters.Names)}.");
                Estimators.OptionTable.Get(name).Check(value);
            }
            var trial = new TrialSettings(index, TrialKey.FileId(index, parameters), parameters);
            session.Total = index + 1;
            if (recorded.TryGetValue(index, out var old) && !(old.Transient && old.Id == trial.Id))
            {
                if (old.Id != trial.Id)
                    throw new InvalidOperationException($"{session.Store.Directory}: " +
                        $"trial {index} was {TrialKey.Of(old.Parameters)}, but the tuner now " +
                        $"proposes {TrialKey.Of(parameters)}: the run directory was made by another tuner or seed. " +
                        $"Use a new directory.");
                tuner.Update(old, Objectives.Value(old, session.Objective));
                session.ReportSkipped(trial, old);
                continue;
            }
            if (session.BudgetSpent()) break;
            var result = session.Execute(trial, checkpoint: null, ct);
            session.Store.Write(result);
            session.Store.WriteSummary();
            session.Done++;
            tuner.Update(result, Objectives.Value(result, session.Objective));
            session.Ended(trial, result);
        }
    }
}
