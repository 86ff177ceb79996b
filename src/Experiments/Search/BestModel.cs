// best.zip: the model of the best trial among every record of the run directory (all shards' and hosts'), not the best
// one process happened to see. Publishing runs under a lock in the model directory (a TrialClaims claim), so shards
// that finish at once take turns; each publishes after writing its own record, so the last to publish sees them all.
// best.json names the trial best.zip holds. Without KeepEveryModel a finished trial's own zip goes once best.zip is
// settled (best.zip is then the only copy of the best model).
using System.Text.Json;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Experiments.Search;

internal static class BestModel
{
    static readonly TimeSpan LockStaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>Makes <c>best.zip</c> in <paramref name="directory"/> the best recorded trial's model that this
    /// directory has; returns the id of the trial it holds (null when none).</summary>
    public static string? Publish(string directory, ResultStore store, ExperimentObjective objective,
        bool keepEveryModel)
    {
        Directory.CreateDirectory(directory);
        var claims = new TrialClaims(Path.Combine(directory, ".claims"), LockStaleAfter);
        using var lease = Acquire(claims);
        var records = store.ReadAll();
        string bestZip = Path.Combine(directory, "best.zip"), bestJson = Path.Combine(directory, "best.json");
        string ModelOf(string id) => Path.Combine(directory,
            TrialKey.CheckFileId(id) + ".zip");   // ids come from records: checked
        string? held = ReadHeld(bestJson)
            // A directory from before best.json: best.zip holds the best of the trials whose own zip is gone.
            ?? (File.Exists(bestZip) ? Objectives.Best(records.Where(r => !File.Exists(ModelOf(r.Id))),
            objective)?.Id : null);
        var best = Objectives.Best(records.Where(r => r.Id == held || File.Exists(ModelOf(r.Id))), objective);
        if (best is not null && best.Id != held)
        {
            Common.AtomicFile.Write(bestZip,
                output => { using var input = File.OpenRead(ModelOf(best.Id)); input.CopyTo(output); });
            Common.AtomicFile.WriteText(bestJson,
                JsonSerializer.Serialize(new Dictionary<string, string> { ["trial"] = best.Id }));
            held = best.Id;
        }
        if (!keepEveryModel) // every recorded trial's model is now either in best.zip or not the best
            foreach (var r in records)
                if (File.Exists(ModelOf(r.Id))) File.Delete(ModelOf(r.Id));
        return held;
    }

    static string? ReadHeld(string path)
    {
        // best.json is a file too: a value that is not a trial id is ignored like a damaged file.
        try { return File.Exists(path)
            && JsonSerializer
            .Deserialize<Dictionary<string, string>>(File.ReadAllText(path))?.GetValueOrDefault("trial") is { } id
            && TrialKey.IsFileId(id) ? id : null; }
        catch (JsonException) { return null; }
    }

    /// <summary>Waits for the lock; a holder silent for a minute (killed mid-copy) is taken over.</summary>
    static ClaimLease Acquire(TrialClaims claims)
    {
        while (true)
        {
            if (claims.TryClaim("best-model", 0) is { } lease) return lease;
            Thread.Sleep(20);
        }
    }
}
