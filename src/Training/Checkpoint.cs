// A training checkpoint: everything needed to continue a run exactly as if it had never stopped — weights, optimizer
// state, the schedule's and the data stream's position, counters and history — tagged with a fingerprint of the model,
// data and options so that it is never resumed into a different run. Written atomically.
using System.Text;
using System.Text.Json;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Training;

/// <summary>The loop's counters at a step boundary.</summary>
internal sealed class TrainingCounters
{
    public int Step { get; set; }
    public long Tokens { get; set; }
    public double TrainSeconds { get; set; }
    public double EvalSeconds { get; set; }
    public double SteadySeconds { get; set; }
    public long SteadyTokens { get; set; }
    public long PeakResidentBytes { get; set; }
    public int Epoch { get; set; } = -1;
    public int Cursor { get; set; }
    public EvalResult? LastEval { get; set; }
    public ThresholdReached? Reached { get; set; }
    public List<StepRecord> History { get; set; } = [];
    public List<string> OptionChanges { get; set; } = [];
}

internal static class Checkpoint
{
    const string Magic = "MLNet.LowRank checkpoint";
    // Version 2: the fingerprint names every option from the option table. Version 1 (before it) is still read.
    const int Version = 2;

    public static void Write(string path, string fingerprint, Gpt model, IReadOnlyList<IParameterOptimizer> optimizers,
        TrainingCounters counters) =>
        Common.AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(Version);
            w.Write(fingerprint);
            w.Write(JsonSerializer.Serialize(counters));
            GptSerializer.Write(w, model);
            w.Write(optimizers.Count);
            foreach (var o in optimizers)
            {
                w.Write(o.Name);
                w.Write(o.State.Count);
                foreach (var t in o.State) TensorIO.Write(w, t);
            }
        });

    /// <summary>Restores <paramref name="model"/> and <paramref name="optimizers"/> in place; returns the
    /// counters.</summary>
    /// <param name="fingerprintVersion1">This run's fingerprint as version 1 wrote it, or null where version 1 could
    /// not have written this run.</param>
    /// <param name="allowChangedTraining">Accept a checkpoint whose fingerprint differs only in its training options;
    /// the differences are added to the counters' <see cref="TrainingCounters.OptionChanges"/>.</param>
    public static TrainingCounters Read(string path, string fingerprint, Func<string?> fingerprintVersion1, Gpt model,
        IReadOnlyList<IParameterOptimizer> optimizers,
        bool allowChangedTraining, out string? acceptedChanges)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            if (r.ReadString() != Magic)
                throw new InvalidDataException($"'{path}' is not an MLNet.LowRank checkpoint.");
            int version = r.ReadInt32();
            if (version > Version)
                throw new InvalidDataException($"'{path}' is checkpoint format {version}; this library " +
                    $"reads {Version}. Upgrade MLNet.LowRank.");
            string saved = r.ReadString();
            if (version == 1) fingerprint = fingerprintVersion1() ?? fingerprint;
            string? changes = acceptedChanges = null;
            if (saved != fingerprint && !(allowChangedTraining && version >= 2 && TrainingChanges(saved,
                fingerprint) is { } c && (changes = c) is not null))
                throw new InvalidOperationException(
                    $"Checkpoint '{path}' was written by a different run (model, data or training options differ), " +
                    $"so resuming would not continue it. Restore the original settings, delete the checkpoint, or " +
                    $"set Resume = false.\n  checkpoint: {saved}\n  this run:   {fingerprint}");
            var counters = JsonSerializer.Deserialize<TrainingCounters>(r.ReadString())
                ?? throw new InvalidDataException("empty counters");
            if (changes is not null)
                counters.OptionChanges.Add(acceptedChanges = $"at step {counters.Step}: {changes}");
            GptSerializer.ReadConfig(r);
            GptSerializer.ReadWeights(r, model);
            int count = r.ReadInt32();
            if (count != optimizers.Count)
                throw new InvalidDataException($"the checkpoint has {count} optimizers; this run " +
                    $"has {optimizers.Count}.");
            foreach (var o in optimizers)
            {
                string name = r.ReadString();
                int tensors = r.ReadInt32();
                if (name != o.Name || tensors != o.State.Count)
                    throw new InvalidDataException($"the checkpoint's optimizer '{name}' ({tensors} state tensors) " +
                        $"does not match this run's '{o.Name}' ({o.State.Count}).");
                for (int i = 0; i < tensors; i++) TensorIO.ReadInto(r, o.State[i], $"{name} state tensor {i}");
            }
            return counters;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or JsonException or DecoderFallbackException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupted ({e.Message}). Delete it " +
                $"to start over.", e);
        }
    }

    /// <summary>What a checkpoint must match: the model's shape and every model and training option that changes the
    /// numbers (<see cref="OptionText"/>; run settings such as threads and checkpoint paths are not among
    /// them), and the data.</summary>
    public static string Fingerprint(Gpt model, TrainingOptions o, TokenStream train,
        Evaluation.IValidationEvaluator? validation)
    {
        string summary = ModelSummary.For(model.Config).ToString().ReplaceLineEndings(" ");
        return $"{summary} | model {OptionText.Describe(model.Config)} | training {OptionText.Describe(o)} | " +
            $"train {Hash(train)} | validation {validation?.Identity ?? "none"}";
    }

    /// <summary>The fingerprint version 1 wrote for this run — the training options record's own ToString of the day,
    /// with the run settings normalised — or null when the model sets an option version 1 did not fingerprint
    /// (soft-cap, rotary base, norm epsilon, MLP ratio, rank multiple were not reachable from the trainer then). The
    /// names below are that format's, frozen: they must not follow later options.</summary>
    public static string? FingerprintVersion1(Gpt model, TrainingOptions o, TokenStream train,
        Evaluation.IValidationEvaluator? validation)
    {
        var c = model.Config;
        var d = new GptConfig();
        if (c.LogitSoftCap != d.LogitSoftCap || c.RopeBase != d.RopeBase || c.NormEps != d.NormEps
            || c.MlpRatio != d.MlpRatio || c.RankMultiple != d.RankMultiple
            || o.DivergenceMargin != new TrainingOptions().DivergenceMargin) return null;
        (string, object?)[] fields =
        [
            ("BatchSize", o.BatchSize), ("GradientAccumulationSteps", o.GradientAccumulationSteps), ("MaxSteps",
                o.MaxSteps), ("MaxTokens", o.MaxTokens),
            ("MaxSeconds", o.MaxSeconds), ("Optimizer", Optimizers.AdamW), ("MatrixLearningRate",
                o.MatrixLearningRate), ("AdamMatrixLearningRate", o.AdamMatrixLearningRate),
            ("EmbeddingLearningRate", o.EmbeddingLearningRate), ("HeadLearningRate", o.HeadLearningRate),
                ("VectorLearningRate", o.VectorLearningRate),
            ("MuonMomentum", o.MuonMomentum), ("MuonMomentumStart", o.MuonMomentumStart), ("MuonMomentumWarmupSteps",
                o.MuonMomentumWarmupSteps),
            ("NewtonSchulzSteps", o.NewtonSchulzSteps), ("AdamBeta1", o.AdamBeta1), ("AdamBeta2", o.AdamBeta2),
                ("AdamEpsilon", o.AdamEpsilon),
            ("WeightDecay", o.WeightDecay), ("WarmupSteps", o.WarmupSteps), ("WarmdownFraction", o.WarmdownFraction),
                ("FinalLrFraction", o.FinalLrFraction),
            ("GradientClip", o.GradientClip), ("FrobeniusDecay", o.FrobeniusDecay), ("EvalEvery", o.EvalEvery),
                ("EvalTokens", o.EvalTokens),
            ("ThresholdPerplexity", o.ThresholdPerplexity), ("Seed", o.DataSeed ?? 1), ("Threads", null),
                ("DivergenceLoss", o.DivergenceLoss), ("ReportEvery", 1),
            ("CheckpointPath", null), ("CheckpointEverySteps", 0), ("CheckpointEverySeconds", 0.0), ("Resume", false),
                ("PauseAtStep", null), ("Schedule", o.Schedule),
        ];
        string training = "TrainingOptions { " + string.Join(", ", fields.Select(f => $"{f.Item1} = {f.Item2}")) + " }";
        string summary = ModelSummary.For(c).ToString().ReplaceLineEndings(" ");
        return $"{summary} | variant {c.Variant.Name}, init {c.Init} | optimizer {o.Optimizer.Name} | {training} | " +
            $"train {Hash(train)} | validation {validation?.Identity ?? "none"}";
    }

    /// <summary>"Name old → new; …" when two version-2 fingerprints differ only in their training options (model and
    /// data equal, the optimizer the same), else null.</summary>
    static string? TrainingChanges(string saved, string current)
    {
        static (string Others, Dictionary<string, string> Training)? Split(string f)
        {
            int start = f.IndexOf(" | training ", StringComparison.Ordinal),
                end = f.IndexOf(" | train ", StringComparison.Ordinal);
            if (start < 0 || end < start) return null;
            string section = f[(start + " | training ".Length)..end];
            var pairs = section.Split(';').Select(p => p.Split('=',
                2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            return (f[..start] + f[end..], pairs);
        }
        if (Split(saved) is not { } a || Split(current) is not { } b || a.Others != b.Others) return null;
        if (a.Training.GetValueOrDefault("Optimizer") != b.Training.GetValueOrDefault("Optimizer"))
            return null;   // its state would not fit
        var changed = a.Training.Keys.Union(b.Training.Keys).Order(StringComparer.Ordinal)
            .Where(k => a.Training.GetValueOrDefault(k) != b.Training.GetValueOrDefault(k))
            .Select(k => $"{k} {a.Training.GetValueOrDefault(k) ?? "(absent)"} → {b.Training.GetValueOrDefault(k) ?? "(absent)"}").ToList();
        return changed.Count == 0 ? null : string.Join("; ", changed);
    }

    static string Hash(TokenStream s) => s.Identity;
}
