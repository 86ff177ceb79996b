// RankSweep: a one-at-a-time scan of attention rank and MLP rank around a dense baseline on the embedded Brown corpus,
// through the experiment API, then the report (report.md + figures) in the run directory.
//
//   dotnet run --project examples/RankSweep -c Release -- runs/rank-sweep [seconds-per-trial]
// Re-running the same command resumes: finished trials are skipped.
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Reporting;

string runDirectory = args.Length > 0 ? args[0] : Path.Combine("runs", "rank-sweep");
double secondsPerTrial = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 30;

var ml = new MLContext(seed: 1);
var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), validationFraction: 0.1);

var baseline = new LowRankLmTrainer.Options
{
    Model = new() { Depth = 4, ModelDim = 128, HeadDim = 32, SequenceLength = 128 },
    Training = new() { BatchSize = 8, EvalEvery = 50, EvalTokens = 8_192, ThresholdPerplexity = 400 },
};
var searchSpace = new SearchSpace()
    .Add("AttentionRank", "dense", "8", "16", "32")
    .Add("MlpRank", "dense", "16", "32", "64");

var results = await ml.LowRank().CreateExperiment()
    .SetPipeline(LmTokenizer.Bpe(2048), baseline)
    .SetDataset(split.Train, split.Validation)
    .SetSearchSpace(searchSpace)
    .SetOneAtATimeScan()                      // baseline first, then one parameter at a time
    .SetTrialBudget(seconds: secondsPerTrial)
    .SetResultDirectory(runDirectory)
    .SetMonitor(new SynchronousProgress<ExperimentProgress>(Console.WriteLine))
    .RunAsync();

var frontier = Pareto.Frontier(results.Where(r => r.Perplexity is not null), r => r.NonEmbeddingParameters,
    r => r.Perplexity!.Value);
Console.WriteLine($"\nPareto frontier (non-embedding parameters, " +
    $"perplexity): {string.Join(", ", frontier.Select(r => $"{TrialKey.Of(r.Parameters)} ({r.NonEmbeddingParameters:N0}, {r.Perplexity:F1})"))}");
Console.WriteLine($"Report: {ReportWriter.Write(runDirectory)}");
