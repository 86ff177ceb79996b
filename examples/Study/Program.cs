// Study: the research plan's scans at this machine's scale (issue 7). Learning-rate scans for a dense and a low-rank
// arm, then — each arm at its own best learning rate — rank scans, variants/init/optimizer, depth vs rank at equal
// parameters, per-layer rank schedules at equal parameters and seed repeats; every trial sees the same number of
// training tokens. Each section is an experiment in its own run directory (with its `lowrank report`); a trial two
// sections share runs once (SetReuse). Ends by writing docs/results.md from the records. Re-running resumes.
//
//   dotnet run --project examples/Study -c Release -- [run-dir=docs/study] [results=docs/results.md] [tokens-per-trial=393216]
// `--smoke` (last argument) runs every section with a width-64 model on a few documents, to check the program.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Examples.Study;
using MLNet.LowRank.Experiments;

var ci = CultureInfo.InvariantCulture;
bool smoke = args.Contains("--smoke");
args = [.. args.Where(a => a != "--smoke")];
bool memoryChild = args.Length > 0 && args[0] == "--measure-memory";
string[] positional = memoryChild ? [] : args;
string runDirectory = positional.Length > 0 ? positional[0] : Path.Combine("docs", "study");
string resultsPath = positional.Length > 1 ? positional[1] : Path.Combine("docs", "results.md");
long tokensPerTrial = positional.Length > 2 ? long.Parse(positional[2], ci) : 393_216; // 192 steps of 8 × 256 tokens

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); }; // finished trials are kept; re-run resumes

var clock = Stopwatch.StartNew();
var ml = new MLContext(seed: 1);
var corpus = ml.LowRank().Data.LoadBrownCorpus();
if (smoke) corpus = ml.Data.TakeRows(corpus, 60);
var split = ml.LowRank().Data.SplitByDocument(corpus, validationFraction: 0.1);
var plan = new StudyPlan(tokensPerTrial, smoke);
if (memoryChild) return MemoryProbe.RunChild(args[1..], plan, ml, split.Train);
var runner = new SectionRunner(ml, split.Train, split.Validation, plan, runDirectory);
void Log(string line) => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");

// 1. Each arm's learning rate first: every later section uses the winners.
var sections = new List<SectionResult>();
string denseLr = await ScanLearningRate("lr-dense", StudyPlan.Dense);
string lowRankLr = await ScanLearningRate("lr-lowrank", StudyPlan.LowRank);
Log($"Best Muon learning rate: dense {denseLr}, low-rank {lowRankLr}.");

foreach (var section in plan.Sections(denseLr, lowRankLr, Log))
    sections.Add(await runner.Run(section, cancel.Token));

// 6. Memory of the baseline and the best low-rank models, each in a fresh process.
var memory = MemoryProbe.Measure([ResultsDocument.Baseline(sections), .. new Verdicts(sections, ResultsDocument.Baseline(sections), plan).BestLowRank(3)],
    Path.Combine(runDirectory, "memory"), smoke);

var wallClock = clock.Elapsed;
Log($"All sections done in {wallClock:hh\\:mm\\:ss}.");
string written = ResultsDocument.Write(resultsPath, runDirectory, plan, sections, memory, split, ml, wallClock);
Log($"Wrote {written}.");
return 0;

// A grid whose best rate sits at an edge has not bracketed the optimum: extend it (halving or doubling) up to twice,
// each extension its own section.
async Task<string> ScanLearningRate(string name, IReadOnlyDictionary<string, string> arm)
{
    var scans = new List<SectionResult> { await runner.Run(plan.LearningRateScan(name, arm, StudyPlan.LearningRates), cancel.Token) };
    for (int extension = 0; extension < 2; extension++)
    {
        var tried = scans.SelectMany(s => s.Trials).Select(t => double.Parse(t.Parameters["MatrixLearningRate"], ci)).ToList();
        double best = double.Parse(StudyPlan.BestLearningRate(scans), ci);
        double? next = best == tried.Min() ? best / 2 : best == tried.Max() ? best * 2 : null;
        if (next is not double rate) break;
        Log($"{name}: best rate {best.ToString("R", ci)} is at the edge of the grid; trying {rate.ToString("R", ci)}.");
        scans.Add(await runner.Run(plan.LearningRateScan($"{name}-{rate.ToString("R", ci)}", arm, [rate.ToString("R", ci)], extension: true), cancel.Token));
    }
    sections.AddRange(scans);
    return StudyPlan.BestLearningRate(scans);
}
