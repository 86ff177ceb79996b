// What a user does with a trained model: generate (batched, streamed, with stop sequences), score continuations for a
// multiple-choice question, predict row by row through ML.NET's PredictionEngine, and export for PyTorch.
//
//   dotnet run --project examples/UseModel -c Release [model.zip]
//
// Without a model it first trains a small byte-level one on the embedded Brown corpus for 60 seconds.
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Generation;
using MLNet.LowRank.Model;

var ml = new MLContext(seed: 1);
ITransformer model;
if (args.Length > 0)
{
    model = ml.LowRank().LoadModel(args[0]);
    Console.WriteLine($"Loaded {args[0]}.");
}
else
{
    Console.WriteLine("Training a byte-level model (width 64, depth 4) on the Brown corpus for 60 s…");
    var docs = ml.LowRank().Data.LoadBrownCorpus();
    model = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Bytes())
        .Append(ml.LowRank().Trainers.LowRankLm(new LowRankLmTrainer.Options
        {
            Model = new() { Depth = 4, ModelDim = 64, HeadDim = 32, SequenceLength = 256, AttentionRank = 16,
                MlpRank = 26 },
            Training = new() { BatchSize = 16, MaxSeconds = 60, EvalEvery = 0, EmbeddingLearningRate = 0.4,
                HeadLearningRate = 0.008 },
        }))
        .Fit(docs);
}
using var lm = model.GetLanguageModel();
Console.WriteLine(lm.Summary);

// 1. Generation: a batch of prompts, sampled with a seed, stopping at the end of a sentence.
var options = new GenerationOptions
{
    MaxNewTokens = 80,
    Temperature = 0.8,
    TopK = 40,
    TopP = 0.95,
    StopSequences = ["."],
    Seed = 1,
};
foreach (var g in lm.Generate(["The jury said", "In the morning", "He was"], options))
    Console.WriteLine($"  {g.Prompt}|{g.Text}   [{g.TokenIds.Count} tokens, {g.Reason}]");

// 2. Streaming: the text arrives as it is generated.
Console.Write("Streamed: The committee");
await foreach (string piece in lm.GenerateStreamAsync("The committee",
    options with { MaxNewTokens = 60, StopSequences = [] })) Console.Write(piece);
Console.WriteLine();

// 3. Multiple choice by log-probability: which ending does the model find most likely?
const string question = "The President of the United";
foreach (string ending in new[] { " States", " Kingdom", " banana" })
{
    var s = lm.ScoreContinuation(question, ending);
    Console.WriteLine($"  ln p({ending.Trim()} | \"{question}\") = {s.LogProbability,8:F3}   per " +
        $"byte {s.LogProbability / s.Bytes,7:F3}   greedy: {s.IsGreedy}");
}

// 4. ML.NET row by row: the whole pipeline scores a document; GenerateText completes a prompt.
using var scorer = ml.Model.CreatePredictionEngine<TextRow, ScoreRow>(model,
    new PredictionEngineOptions { OwnsTransformer = false });
var score = scorer.Predict(new TextRow { Text = "The jury said it did not find any evidence." });
Console.WriteLine($"PredictionEngine (pipeline): {score.PredictedTokens} tokens, " +
    $"NLL {score.NegLogLikelihood:F2} nats, " +
    $"perplexity {Math.Exp(score.NegLogLikelihood / score.PredictedTokens):F2}, first token ln " +
    $"p {score.TokenLogProbabilities[0]:F3}");
var prompts = ml.Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "The jury said" } });
var generator = ml.LowRank().Transforms.GenerateText(lm, "Completion", "Prompt",
    options with { Temperature = 0 }).Fit(prompts);
using var completer = ml.Model.CreatePredictionEngine<PromptRow, CompletionRow>(generator,
    new PredictionEngineOptions { OwnsTransformer = false });
var completion = completer.Predict(new PromptRow { Prompt = "The jury said" });
Console.WriteLine($"PredictionEngine (GenerateText, greedy): \"{completion.Prompt}\" → \"{completion.Completion}\"");

// 5. Export for PyTorch: a torch.save state dict in bfloat16 and its config.
string export = Path.Combine(Path.GetTempPath(), "mlnet-lowrank-usemodel.pt");
GptExport.Save(lm.Model, export, TorchSharp.torch.ScalarType.BFloat16);
Console.WriteLine($"Exported {export} ({new FileInfo(export).Length / 1024.0:F0} KB, bfloat16) " +
    $"and {Path.ChangeExtension(export, ".json")}; torch.load reads it.");

sealed class TextRow { public string Text { get; set; } = ""; }

sealed class ScoreRow
{
    public double NegLogLikelihood { get; set; }
    public long PredictedTokens { get; set; }
    [Microsoft.ML.Data.VectorType] public float[] TokenLogProbabilities { get; set; } = [];
}

sealed class PromptRow { public string Prompt { get; set; } = ""; }

sealed class CompletionRow
{
    public string Prompt { get; set; } = "";
    public string Completion { get; set; } = "";
}
