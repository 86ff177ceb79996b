// Valid files of every kind the harness mutates, made by the library's own writers from one tiny trained model (BPE
// tokenizer with its pattern, dim 32, depth 2), and the field boundaries of the binary ones (recorded while writing).
using System.Text;
using Microsoft.ML;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Fuzz;

sealed class Seeds
{
    public const string CheckpointFingerprint = "fuzz-seed";

    /// <summary>The seed record's id: a trial id of the form run directories use.</summary>
    public const string SeedTrialId = "trial-000-0000000000005eed";

    public static readonly string[] Texts = Enumerable.Range(0, 24).Select(i =>
        $"Document {i}: the quick brown fox jumps over the lazy dog {i % 5} times. Café naïve 中文 and so on.").ToArray();

    public required string Directory { get; init; }
    public string ModelZip => Path.Combine(Directory, "model.zip");
    public string CheckpointFile => Path.Combine(Directory, "seed.ckpt");
    public string SafeTensorsFile => Path.Combine(Directory, "weights.safetensors");
    public string PtFile => Path.Combine(Directory, "state.pt");
    public string TiktokenFile => Path.Combine(Directory, "ranks.tiktoken");
    public string TokenizerBlob => Path.Combine(Directory, "tokenizer.bin");
    public string ShardDirectory => Path.Combine(Directory, "shards");
    public string RunDirectory => Path.Combine(Directory, "run");
    public string SweepConfig => Path.Combine(Directory, "sweep.json");
    public string Corpus => Path.Combine(Directory, "corpus.jsonl");

    /// <summary>Field boundaries of the model payload entry's weights blob and of the tokenizer blob.</summary>
    public List<int> WeightsBoundaries { get; private set; } = [];
    public List<int> TokenizerBoundaries { get; private set; } = [];
    public byte[] WeightsBlob { get; private set; } = [];

    public GptConfig Config { get; private set; } = null!;
    public TrainingOptions Training { get; private set; } = null!;

    /// <summary>Makes the seeds in <paramref name="directory"/> (or reuses those a previous child made
    /// there).</summary>
    public static Seeds Make(string directory)
    {
        var seeds = new Seeds { Directory = directory };
        System.IO.Directory.CreateDirectory(directory);
        var ml = new MLContext(seed: 1);
        var tokenizer = BpeTrainer.Train(Texts, 300);
        var options = new LowRankLmTrainer.Options
        {
            Model = new() { Depth = 2, ModelDim = 32, HeadDim = 16, SequenceLength = 32, AttentionRank = 8,
                MlpRank = 8, Variant = LinearVariant.Factored },
            Training = new() { BatchSize = 4, MaxSteps = 2, EvalEvery = 0 },
            Seed = 3,
        };
        seeds.Training = options.Training;
        var docs = ml.LowRank().Data.LoadFromTexts(Texts);
        var pipeline = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Use(tokenizer)).Append(ml.LowRank().Trainers.LowRankLm(options));
        var model = pipeline.Fit(docs);
        var lm = model.GetLanguageModel();
        seeds.Config = lm.Model.Config;
        bool done = File.Exists(Path.Combine(directory, "done"));
        if (!done) ml.LowRank().SaveModel(model, docs.Schema, seeds.ModelZip);

        var weights = new Mutations.BoundaryStream();
        using (var w = new BinaryWriter(weights, Encoding.UTF8, leaveOpen: true)) GptSerializer.Write(w, lm.Model);
        seeds.WeightsBlob = weights.ToArray();
        seeds.WeightsBoundaries = weights.Boundaries;
        var tok = new Mutations.BoundaryStream();
        using (var w = new BinaryWriter(tok, Encoding.UTF8, leaveOpen: true)) tokenizer.Write(w);
        seeds.TokenizerBoundaries = tok.Boundaries;
        if (done) { lm.Dispose(); return seeds; }

        File.WriteAllBytes(seeds.TokenizerBlob, tok.ToArray());
        var optimizers = options.Training.Optimizer.Create(lm.Model, options.Training);
        Checkpoint.Write(seeds.CheckpointFile, CheckpointFingerprint, lm.Model, optimizers,
            new TrainingCounters { Step = 2, Tokens = 256 });
        foreach (var o in optimizers) o.Dispose();
        GptExport.Save(lm.Model, seeds.SafeTensorsFile);
        GptExport.Save(lm.Model, seeds.PtFile);
        tokenizer.SaveTiktoken(seeds.TiktokenFile);
        // Enough text for several shards of the smallest size allowed.
        var documents = Enumerable.Range(0,
            150).Select(i => new CorpusDocument($"d{i}", "fuzz", Texts[i % Texts.Length] + $" Copy {i}."));
        TokenShards.Write(documents, tokenizer, seeds.ShardDirectory, ["fuzz"],
            new TokenizeOptions { ValidationFraction = 0.25, ShardTokens = 1024 });

        var store = new ResultStore(seeds.RunDirectory);
        store.Claim(new Dictionary<string, string> { ["tokenizer"] = "bpe:300", ["corpus"] = "fuzz" });
        var record = new TrialResult
        {
            Id = SeedTrialId, Index = 0, Parameters = new() { ["AttentionRank"] = "8" },
                Configuration = new() { ["Depth"] = "2" },
            Status = TrialStatus.Completed, Perplexity = 12.5, CrossEntropy = 2.5, BitsPerByte = 1.2, Steps = 2,
                Tokens = 256,
            LossCurve = [new LossPoint(1, 128, 0.1, 3.0, null), new LossPoint(2, 256, 0.2, 2.8, 2.9)],
                FinishedUtc = DateTime.UnixEpoch,
        };
        store.Write(record);
        store.WriteRung(record with { Status = TrialStatus.Paused }, 0);

        File.WriteAllLines(seeds.Corpus,
            Texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { id = $"d{i}", text = t })));
        File.WriteAllText(seeds.SweepConfig, $$"""
        {
          "corpus": "{{seeds.Corpus}}", "tokenizer": "bytes", "validationFraction": 0.2,
          "baseline": { "Depth": 2, "ModelDim": 32, "HeadDim": 16, "SequenceLength": 32, "BatchSize": 4, "Variant": "Factored" },
          "searchSpace": { "AttentionRank": ["dense", 4, 8], "MlpRank": ["dense", 8] },
          "tuner": "random:4:7", "trialSteps": 15, "evalEvery": 5, "evalTokens": 1024, "threshold": 1000,
          "earlyStopping": { "minSteps": 5, "reductionFactor": 3 }, "objective": "perplexity", "modelDirectory": "models"
        }
        """);
        lm.Dispose();
        File.WriteAllText(Path.Combine(directory, "done"), "");
        return seeds;
    }
}
