// Study version 2 (docs/study/plan.md): does a low-rank GPT plateau at a higher loss than the dense one, whatever the
// depth? Tunes learning rates on a tuning seed, trains every arm's reported seeds on a ladder of budgets up to 2×
// compute-optimal, then writes docs/results.md from the trial records. Every finished trial is a record a re-run skips,
// so the study resumes where it stopped.
//
//   dotnet run --project examples/Study -c Release -- [--out docs/study] [--results docs/results.md] [--report-only] [--smoke] [--v3]
// --v3 then runs version 3 (docs/study/v3/plan.md) into <out>/v3 and writes docs/results-v3.md beside results.md.
// --smoke runs the whole program on a width-32 model, a few documents and tiny budgets (about a minute);
// --report-only writes the results page from the records already there, training nothing.
using System.Diagnostics;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Examples.Study;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
bool smoke = args.Contains("--smoke");
bool reportOnly = args.Contains("--report-only");
bool v3 = args.Contains("--v3");
string root = Arg("--out", Path.Combine("docs", "study"));
string resultsPath = Arg("--results", Path.Combine("docs", "results.md"));
string v3Root = Path.Combine(root, "v3");
string v3ResultsPath = Arg("--results-v3", Path.Combine(Path.GetDirectoryName(resultsPath) ?? ".", "results-v3.md"));
Directory.CreateDirectory(root);

var cancel = new CancellationTokenSource();   // not disposed: ProcessExit may still cancel it
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };   // finished trials are kept; a re-run resumes
AppDomain.CurrentDomain.ProcessExit += (_, _) => cancel.Cancel();
var clock = Stopwatch.StartNew();
string logPath = Path.Combine(root, "study.log");
void Log(string line)
{
    string stamped = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} {line}";
    Console.WriteLine(stamped);
    File.AppendAllText(logPath, stamped + Environment.NewLine);
}

var ml = new MLContext(seed: 1);
var corpus = ml.LowRank().Data.LoadBrownCorpus();
// Smoke: every 10th document (all genres), cut to 300 characters — still several context windows each (the smoke
// context is 64), and the validation split, scored in full after every trial, stays a few thousand tokens.
if (smoke)
    corpus = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<MLNet.LowRank.Data.DocumentRow>(corpus, reuseRowObject: false)
        .Where((_, i) => i % 10 == 0).Select(r => new MLNet.LowRank.Data.DocumentRow { Id = r.Id, Group = r.Group, Text = r.Text[..Math.Min(300, r.Text.Length)] }).ToList());
var split = ml.LowRank().Data.SplitByDocument(corpus, validationFraction: 0.1);
var design = new StudyDesign(smoke);
Log($"Study v2{(smoke ? " (smoke)" : "")}: compute-optimal {design.ComputeOptimalTokens:N0} tokens; budgets {string.Join(", ", design.BudgetSteps.Select((s, i) => $"{StudyDesign.BudgetNames[i]} = {s} steps"))}; deep arm: {design.Iso.Message}");
var phases = new Phases(ml, split.Train, split.Validation, design, root, Log, cancel.Token, readOnly: reportOnly);

try
{
    if (!reportOnly)
    {
        var choices = await phases.TuneAsync();
        await phases.ReportedAsync(choices);
        if (v3)
        {
            var batch = new TrialBatch(ml, split.Train, split.Validation, v3Root, Log, cancel.Token);
            await new V3Phases(batch, new V3Design(design), choices, phases, StudyRecords.Load(design, phases), v3Root, Log).RunAsync();
        }
        Log($"All phases done; this invocation ran {clock.Elapsed:hh\\:mm\\:ss}.");
    }
}
catch (OperationCanceledException)
{
    Log("Interrupted: finished trials are kept; run the same command to resume.");
    return 130;
}
string written = ResultsPage.Write(resultsPath, root, design, phases, split, ml, Log);
Log($"Wrote {written}.");
if (v3)
{
    // The version-3 page from the records alone: the same walk through the phases with a batch that trains nothing.
    var v3Design = new V3Design(design);
    var v2Records = StudyRecords.Load(design, phases);
    var v2Choices = await new Phases(ml, split.Train, split.Validation, design, root, _ => { }, cancel.Token, readOnly: true).TuneAsync();
    var walk = new V3Phases(new TrialBatch(ml, split.Train, split.Validation, v3Root, _ => { }, cancel.Token) { ReadOnly = true }, v3Design, v2Choices, phases, v2Records, v3Root, _ => { });
    var v3Choices = await walk.RunAsync();
    Log($"Wrote {V3ResultsPage.Write(v3ResultsPath, v3Root, v3Design, walk, v3Choices, v2Records)}{(v3Choices.WaitingFor is null ? "" : $" (in progress: waiting for {v3Choices.WaitingFor})")}.");
}
return 0;
