// Writes this folder's model, checkpoint and export with the build it is run from (see README.md); the run directory
// comes from the CLI (make.sh). Run once: the fixtures are what a later build must keep reading.
#:property PublishAot=false
#:project ../../../src/MLNet.LowRank.csproj
using System.Text.Json;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

var texts = File.ReadLines("corpus.jsonl").Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
LowRankLmTrainer.Options Options() => new()
{
    Model = new() { Depth = 2, ModelDim = 16, HeadDim = 8, SequenceLength = 16, Variant = LinearVariant.Factored, AttentionRank = 4, MlpRank = RankSchedule.Linear(4, 8), HeadRank = 8 },
    Training = new() { BatchSize = 2, MaxSteps = 6, EvalEvery = 3, EvalTokens = 0, MatrixLearningRate = 0.03, WarmdownFraction = 0.5, MuonMomentumWarmupSteps = 2, CheckpointEverySteps = 3 },
    Seed = 5,
};
var ml = new MLContext(seed: 1);
var docs = ml.LowRank().Data.LoadFromTexts(texts);
IEstimator<ITransformer> Pipeline(LowRankLmTrainer.Options o) => ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Bytes()).Append(ml.LowRank().Trainers.LowRankLm(o));

var model = Pipeline(Options()).Fit(docs);
ml.LowRank().SaveModel(model, docs.Schema, "model.zip");
var lm = model.GetLanguageModel();
double perplexity = ml.LowRank().Evaluate(model.Transform(docs)).Perplexity;
GptExport.Save(lm.Model, "export.safetensors");
File.WriteAllText("expected.json", JsonSerializer.Serialize(new { Losses = lm.History.Select(h => h.TrainLoss).ToArray(), Perplexity = perplexity }, new JsonSerializerOptions { WriteIndented = true }));

var paused = Options();
paused.Training = paused.Training with { CheckpointPath = Path.GetFullPath("checkpoint-step3.ckpt"), PauseAtStep = 3 };
Pipeline(paused).Fit(docs);
Console.WriteLine($"wrote model.zip, export.safetensors (+ .json), checkpoint-step3.ckpt, expected.json (perplexity {perplexity:R})");
