// DepthVsRank: the research plan's third question — does a deeper low-rank model with the same parameter count as a
// full-rank baseline match or beat it? The iso-parameter planner picks the depth; the experiment trains both arms on
// the same tokens and reports them side by side.
//
//   dotnet run --project examples/DepthVsRank -c Release -- runs/depth-vs-rank [seconds-per-trial]
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Model;
using MLNet.LowRank.Reporting;

string runDirectory = args.Length > 0 ? args[0] : Path.Combine("runs", "depth-vs-rank");
double secondsPerTrial = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 60;
const int vocab = 2048;

// The baseline: dense, depth 4, width 128. The low-rank setting: attention rank 16, MLP rank 32, depth to be planned.
var dense = new GptConfig
{
    VocabSize = vocab,
    Depth = 4,
    ModelDim = 128,
    HeadDim = 32,
    SequenceLength = 128,
    Variant = LinearVariant.Dense,
};
var lowRank = dense with { Variant = LinearVariant.Factored, AttentionRank = 16, MlpRank = 32 };
var plan = IsoParameterPlanner.Plan(dense, lowRank, tolerance: 0.03);
Console.WriteLine(plan.Message);
if (!plan.WithinTolerance) return 1;

var ml = new MLContext(seed: 1);
var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), validationFraction: 0.1);
var baseline = new LowRankLmTrainer.Options
{
    Model = new() { Depth = 4, ModelDim = 128, HeadDim = 32, SequenceLength = 128 },
    Training = new() { BatchSize = 8, EvalEvery = 50, EvalTokens = 8_192, ThresholdPerplexity = 400 },
};
var trials = plan.Trials(
    new Dictionary<string, string> { ["Variant"] = "Dense" },
    new Dictionary<string, string> { ["Variant"] = "Factored", ["AttentionRank"] = "16", ["MlpRank"] = "32" });

var results = await ml.LowRank().CreateExperiment()
    .SetPipeline(LmTokenizer.Bpe(vocab), baseline)
    .SetDataset(split.Train, split.Validation)
    .SetTrials(trials)
    .SetTrialBudget(tokens: (long)(secondsPerTrial * 4_000))   // equal tokens for both arms
    .SetResultDirectory(runDirectory)
    .SetMonitor(new SynchronousProgress<ExperimentProgress>(Console.WriteLine))
    .RunAsync();

foreach (var r in results)
    Console.WriteLine($"{TrialKey.Of(r.Parameters),-50} depth {r.AttentionRanks.Length,2}: {r.NonEmbeddingParameters,10:N0} non-embedding parameters, perplexity {r.Perplexity:F2}, {r.TokensPerSecond:N0} tokens/s");
Console.WriteLine($"Report: {ReportWriter.Write(runDirectory)}");
return 0;
