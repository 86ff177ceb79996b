// SetReuse: a trial whose whole configuration already finished in another run directory, with the same tokenizer,
// text column, budget and threshold, is copied (marked CopiedFrom) instead of trained again.
using Microsoft.ML.Runtime;
using MLNet.LowRank.Estimators;

namespace MLNet.LowRank.Experiments.Search;

internal static class TrialReuse
{
    /// <summary>The fingerprint keys that decide a trial's outcome besides its configuration.</summary>
    static readonly string[] Shared = ["tokenizer", "textColumn", "trialBudget", "threshold"];

    public static void Copy(ResultStore store, IReadOnlyList<TrialSettings> mine, LowRankLmTrainer.Options budgeted,
        IReadOnlyDictionary<string, string> fingerprint,
        IReadOnlyList<string> reuseDirectories, IChannel channel)
    {
        if (reuseDirectories.Count == 0) return;
        var donors = reuseDirectories
            .Select(d => new ResultStore(d))
            .Where(d => d.Directory != store.Directory && d.ReadFingerprint() is { } f
            && Shared.All(k => f.GetValueOrDefault(k) == fingerprint.GetValueOrDefault(k)))
            .SelectMany(d => d.ReadAll().Where(r => r.Status == TrialStatus.Completed
            && r.CopiedFrom is null).Select(r => (Store: d, Record: r)))
            .ToList();
        foreach (var trial in mine)
        {
            if (store.IsFinished(trial.Id)) continue;
            var configuration = TrialParameters.Describe(TrialParameters.Apply(budgeted,
                trial.Parameters));   // values were checked when planned
            var donor = donors.FirstOrDefault(d => OptionTable.SameConfiguration(d.Record.Configuration,
                configuration));
            if (donor.Record is null) continue;
            string source = Path.GetRelativePath(store.Directory,
                Path.Combine(donor.Store.TrialsDirectory, donor.Record.Id + ".json")).Replace('\\', '/');
            store.Write(donor.Record with { Id = trial.Id, Index = trial.Index,
                Parameters = new Dictionary<string, string>(trial.Parameters), CopiedFrom = source });
            channel.Info(MessageSensitivity.None, $"Trial {trial.Index} {TrialKey.Of(trial.Parameters)}: same " +
                $"configuration already finished in {source}; copied, not re-run.");
        }
        store.WriteSummary();
    }
}
