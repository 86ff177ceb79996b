// QuickStart: on the embedded Brown corpus, train a full-rank baseline GPT and a low-rank one through the same ML.NET
// pipeline (BPE tokenizer → LowRankLm), compare them side by side — with the research plan's two figures, parameters by
// part and loss against training time — save the low-rank model, load it back and generate.
//
//   dotnet run --project examples/QuickStart -c Release                # defaults: the run README times (150 s of training per model)
//   dotnet run --project examples/QuickStart -c Release -- --seconds 600 --threshold 120
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Evaluation;
using MLNet.LowRank.Reporting;
using MLNet.LowRank.Training;

var settings = QuickStartSettings.Parse(args);
var clock = Stopwatch.StartNew();
var ml = new MLContext(seed: 1);
var lowRank = ml.LowRank();

var documents = lowRank.Data.LoadBrownCorpus();
var split = lowRank.Data.SplitByDocument(documents, validationFraction: 0.1);

// Train the tokenizer once and share it, so both models' perplexities are comparable.
Console.WriteLine($"Training a {settings.VocabSize}-token BPE on the training documents…");
var bpeClock = Stopwatch.StartNew();
var tokenize = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
    LmTokenizer.Bpe(settings.VocabSize)).Fit(split.Train);
Console.WriteLine($"BPE trained in {bpeClock.Elapsed.TotalSeconds:F1} s.");
var tokenizer = LmTokenizer.Use(tokenize.Tokenizer);

var arms = new (string Name, Action<LowRankLmTrainer.Options> Shape)[]
{
    ("dense baseline", _ => { }),
    ($"low-rank (attention {settings.AttentionRank}, MLP {settings.MlpRank})",
        o => o.Model = o.Model with { AttentionRank = settings.AttentionRank, MlpRank = settings.MlpRank }),
};
var rows = new List<(string Name, ITransformer Model, LanguageModelMetrics Metrics)>();
foreach (var (name, shape) in arms)
{
    Console.WriteLine($"\n== {name}: {settings.Seconds:0} s of training ==");
    var options = new LowRankLmTrainer.Options
    {
        Model = new() { Depth = settings.Depth, ModelDim = settings.Dim, HeadDim = 64,
            SequenceLength = settings.SequenceLength },
        // Evaluations every 25 steps (on 16k tokens spread over the validation documents) make the loss curve and the
        // time to threshold fine-grained enough to tell the two models apart.
        Training = new() { BatchSize = 8, MaxSeconds = settings.Seconds, EvalEvery = 25, EvalTokens = 16_384,
            ReportEvery = 25 },
        ValidationSet = split.Validation, Seed = 1,
        Progress = new SynchronousProgress<TrainingProgress>(p =>
            Console.WriteLine($"  {p}")), // in order, unlike Progress<T>
    };
    shape(options);
    var pipeline = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", tokenizer)
        .Append(lowRank.Trainers.LowRankLm(options));
    var model = pipeline.Fit(split.Train);
    var metrics = lowRank.Evaluate(model.Transform(split.Validation));
    Console.WriteLine($"  validation: {metrics}");
    rows.Add((name, model, metrics));
}

// The threshold for "time to threshold", unless given: the baseline's validation perplexity at half its training time —
// a level the baseline reaches mid-run, so the column says how soon each model gets there.
var baselineHistory = rows[0].Model.GetLanguageModel().History;
double threshold = settings.Threshold ?? ComparisonTable.PerplexityAtHalfTime(baselineHistory);
Console.WriteLine();
Console.WriteLine(ComparisonTable.Format(rows.Select(r => (r.Name, r.Model.GetLanguageModel(), r.Metrics)), threshold,
    settings.Threshold is null));

// The plan's Figure 1 (parameters by part) and Figure 2 (loss against training time) for both models.
string output = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "mlnet-lowrank-quickstart")).FullName;
string parametersPng = Path.Combine(output, "figure1-parameters.png"),
    lossPng = Path.Combine(output, "figure2-loss.png");
Plots.ParameterCounts(rows.Select(r => (r.Name, r.Model.GetLanguageModel().Summary)).ToList(), parametersPng);
Plots.LossVsTime(rows.Select(r => (r.Name, r.Model.GetLanguageModel().History)).ToList(), lossPng);
Console.WriteLine($"Figure 1, parameters by part: {parametersPng}");
Console.WriteLine($"Figure 2, loss against training seconds: {lossPng}");

// Save the low-rank model, load it back, check it scores the same, and generate from the reloaded copy.
string path = Path.Combine(output, "low-rank-model.zip");
var (_, lowRankModel, lowRankMetrics) = rows[^1];
ml.Model.Save(lowRankModel, documents.Schema, path);
var reloaded = lowRank.LoadModel(path);
var sample = ml.Data.TakeRows(split.Validation, 5);
double before = lowRank.Evaluate(lowRankModel.Transform(sample)).Perplexity,
    after = lowRank.Evaluate(reloaded.Transform(sample)).Perplexity;
Console.WriteLine($"Saved to {path} ({new FileInfo(path).Length / 1024.0 / 1024.0:F1} MB) and reloaded: perplexity " +
    $"on 5 documents {before:F4} before, {after:F4} after.");
string prompt = "The committee said that";
Console.WriteLine($"Generated by the reloaded model (temperature 0.8, top-k 40, seed 1):\n " +
    $" {prompt}{reloaded.GetLanguageModel().Generate(prompt, maxTokens: 60, temperature: 0.8, topK: 40, seed: 1)}");
Console.WriteLine();
Console.Write(ComparisonTable.WhatThisCannotShow(rows.Select(r => (r.Name, r.Model.GetLanguageModel(),
    r.Metrics)).ToList(), settings.Seconds));
Console.WriteLine($"\nQuickStart wall-clock: {clock.Elapsed:mm\\:ss}");
foreach (var row in rows) row.Model.GetLanguageModel().Dispose();
reloaded.GetLanguageModel().Dispose();

/// <summary>Command-line settings with defaults that finish in under ten minutes on two cores.</summary>
/// <param name="Threshold">Perplexity for the time-to-threshold column; null = the baseline's at half its training
/// time.</param>
sealed record QuickStartSettings(double Seconds, int VocabSize, int Depth, int Dim, int SequenceLength,
    int AttentionRank, int MlpRank, double? Threshold)
{
    public static QuickStartSettings Parse(string[] args)
    {
        var s = new QuickStartSettings(Seconds: 150, VocabSize: 4096, Depth: 4, Dim: 256, SequenceLength: 256,
            AttentionRank: 32, MlpRank: 64, Threshold: null);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            double v = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            s = args[i] switch
            {
                "--seconds" => s with { Seconds = v },
                "--vocab" => s with { VocabSize = (int)v },
                "--depth" => s with { Depth = (int)v },
                "--dim" => s with { Dim = (int)v },
                "--seq" => s with { SequenceLength = (int)v },
                "--attention-rank" => s with { AttentionRank = (int)v },
                "--mlp-rank" => s with { MlpRank = (int)v },
                "--threshold" => s with { Threshold = v },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Known: --seconds --vocab --depth --dim " +
                    $"--seq --attention-rank --mlp-rank --threshold."),
            };
        }
        return s;
    }
}
