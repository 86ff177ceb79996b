// Study version 2 (docs/study/plan.md): does a low-rank GPT plateau at a higher loss than the dense one, whatever the
// depth? Tunes learning rates on a tuning seed, trains every arm's reported seeds on a ladder of budgets up to 2×
// compute-optimal, then writes docs/results.md from the trial records. Every finished trial is a record a re-run skips,
// so the study resumes where it stopped.
//
//   dotnet run --project examples/Study -c Release -- [--out docs/study] [--results docs/results.md] [--report-only] [--smoke] [--v3]
// --v3 then runs version 3 (docs/study/v3/plan.md) into <out>/v3 and writes docs/results-v3.md beside results.md.
// --v3-controls runs version 3's addendum (the two controls re-tuned at 2 ×) into <out>/v3-controls-2x.
// --v4 runs version 4 (docs/study/v4/plan.md) on the Gutenberg subset (--corpus DIR, default data/gutenberg; its byte
// shards go to --shards DIR, default runs/gutenberg-bytes) into <out>/v4 and writes docs/results-v4.md. Two processes
// started with the same arguments (each OMP_NUM_THREADS=1) split its trials: the study's two streams on two cores; one
// with nothing left to claim looks for the other's records every --poll-seconds (30).
// --smoke runs the whole program on a width-32 model, a few documents and tiny budgets (about a minute);
// --report-only writes the results page from the records already there, training nothing.
using System.Diagnostics;
using Microsoft.ML;
using MLNet.LowRank;
using MLNet.LowRank.Examples.Study;

if (StudyArguments.Parse(args, out int parseExit) is not { } arguments) return parseExit;
bool smoke = arguments.Smoke, reportOnly = arguments.ReportOnly, v3 = arguments.V3;
string root = arguments.Root, resultsPath = arguments.ResultsPath, v3ResultsPath = arguments.ResultsV3Path;
string v3Root = Path.Combine(root, "v3");
if (arguments.V4GpuRecipe)
{
    Console.WriteLine($"Wrote {V4GpuRecipe.Write(Path.Combine(root, "v4", "gpu-recipe"))}.");
    return 0;
}
Directory.CreateDirectory(root);

var cancel = new CancellationTokenSource();   // not disposed: ProcessExit may still cancel it
Console.CancelKeyPress += (_,
    e) => { e.Cancel = true; cancel.Cancel(); };   // finished trials are kept; a re-run resumes
AppDomain.CurrentDomain.ProcessExit += (_, _) => cancel.Cancel();
var clock = Stopwatch.StartNew();
bool v4 = arguments.V4, v3Controls = arguments.V3Controls;
// Each version after 3 logs beside its own records: version 3's page reads its wall time from study.log.
string logPath = v4 ? Path.Combine(root, "v4", "study.log") : v3Controls
    ? Path.Combine(root, "v3-controls-2x", "study.log") : Path.Combine(root, "study.log");
Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
void Log(string line)
{
    string stamped = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} {line}";
    Console.WriteLine(stamped);
    // The log is the record of the study's runs (version 3's page reads its wall time from it): a page regenerated
    // from the records adds nothing to it.
    if (!reportOnly) File.AppendAllText(logPath, stamped + Environment.NewLine);
}

var ml = new MLContext(seed: 1);
if (v4)
{
    var v4Design = new V4Design(new StudyDesign(smoke));
    string v4Root = Path.Combine(root, "v4");
    string shardDir = arguments.Shards;
    string pinned = Path.Combine(v4Root, "corpus-manifest.json");
    string v4ResultsPath = arguments.ResultsV4Path;
    try
    {
        V4Choices v4Choices;
        if (reportOnly)
        {
            // The page from the records alone: no corpus, no shards (a read-only batch never opens its dataset).
            var walk = new V4Phases(new TrialBatch(ml, e => e, v4Root, _ => { }, cancel.Token) { ReadOnly = true },
                v4Design, v4Root);
            v4Choices = await walk.RunAsync();
            Log($"Wrote {V4ResultsPage.Write(v4ResultsPath, v4Root, v4Design, walk, v4Choices, File.Exists(pinned) ? V4Corpus.Sha256(pinned) : "(no pinned manifest)")}.");
            return 0;
        }
        V4Corpus.Prepare(arguments.Corpus, shardDir, smoke ? null : pinned, Log, cancel.Token,
            maxBooks: smoke ? 60 : null);
        using var trainShards = ml.LowRank().Data.LoadTokenShards(shardDir, "train");
        using var validationShards = ml.LowRank().Data.LoadTokenShards(shardDir, "validation");
        var v4Batch = new TrialBatch(ml, e => e.SetDataset(trainShards, validationShards), v4Root, Log, cancel.Token)
        {
            WaitPoll = arguments.PollInterval,
        };
        Log($"Study v4{(smoke ? " (smoke)" : "")}: " +
            $"budgets {string.Join(", ", v4Design.Budgets.Select(b => $"{b.Name} × = {b.Steps} steps"))}; " +
            $"arms {string.Join(", ", v4Design.All.Select(a => a.Name))}.");
        var phasesV4 = new V4Phases(v4Batch, v4Design, v4Root);
        v4Choices = await phasesV4.RunAsync();
        Log($"Version 4: {(v4Choices.WaitingFor is null ? "every stage " +
            "done" : $"waiting for {v4Choices.WaitingFor}")}; this invocation ran {clock.Elapsed:hh\\:mm\\:ss}.");
    }
    catch (OperationCanceledException)
    {
        Log("Interrupted: finished trials are kept (a trial under way resumes from its checkpoint); run the same " +
            "command to resume.");
        return 130;
    }
    return 0;
}
var design = new StudyDesign(smoke);
Log($"Study v2{(smoke ? " (smoke)" : "")}: compute-optimal {design.ComputeOptimalTokens:N0} tokens; " +
    $"budgets {string.Join(", ", design.BudgetSteps.Select((s, i) => $"{StudyDesign.BudgetNames[i]} = {s} steps"))}; " +
    $"deep arm: {design.Iso.Message}");
// The pages are written from the records alone: the corpus is loaded only to train, and a report-only run reads none.
Phases ReadOnlyPhases() => Phases.ReadOnly(ml, design, root, cancel.Token);
TrialBatch ReadOnlyBatch(string directory) => new(ml, e => e, directory, _ => { }, cancel.Token) { ReadOnly = true };
Phases phases;
try
{
    if (!reportOnly)
    {
        var corpus = ml.LowRank().Data.LoadBrownCorpus();
        // Smoke: every 10th document (all genres), cut to 300 characters — still several context windows each (the
        // smoke context is 64), and the validation split, scored in full after every trial, stays a few thousand
        // tokens.
        if (smoke)
            corpus = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<MLNet.LowRank.Data.DocumentRow>(corpus,
                reuseRowObject: false)
                .Where((_, i) => i % 10 == 0).Select(r => new MLNet.LowRank.Data.DocumentRow { Id = r.Id,
                Group = r.Group, Text = r.Text[..Math.Min(300, r.Text.Length)] }).ToList());
        var split = ml.LowRank().Data.SplitByDocument(corpus, validationFraction: 0.1);
        phases = new Phases(ml, split.Train, split.Validation, design, root, Log, cancel.Token);
        var choices = await phases.TuneAsync();
        await phases.ReportedAsync(choices);
        if (v3Controls)
        {
            string addendum = Path.Combine(root, "v3-controls-2x");
            var addendumBatch = new TrialBatch(ml, split.Train, split.Validation, addendum, Log, cancel.Token);
            var done = await new V3Phases(addendumBatch, new V3Design(design), choices, phases,
                StudyRecords.Load(design, phases), addendum, Log).RetuneControlsAsync();
            Log($"Version 3's controls re-tuned at 2 " +
                $"×: {string.Join(", ", done.Muon.Select(kv => $"{kv.Key} {StudyDesign.Rate(kv.Value)}"))}; trained " +
                $"again at 1 and 2 ×: {(done.Rerun.Count == 0 ? "none" : string.Join(", ", done.Rerun))}.");
        }
        if (v3)
        {
            var batch = new TrialBatch(ml, split.Train, split.Validation, v3Root, Log, cancel.Token);
            await new V3Phases(batch, new V3Design(design), choices, phases, StudyRecords.Load(design, phases), v3Root,
                Log).RunAsync();
        }
        Log($"All phases done; this invocation ran {clock.Elapsed:hh\\:mm\\:ss}.");
    }
    else
    {
        // The same walk with a batch that trains nothing checks that every record is the trial this build would run
        // (each directory's identity and each record's id), so a page is never written from records a run would redo.
        phases = ReadOnlyPhases();
        await phases.ReportedAsync(await phases.TuneAsync());
    }
}
catch (OperationCanceledException)
{
    Log("Interrupted: finished trials are kept; run the same command to resume.");
    return 130;
}
string written = ResultsPage.Write(resultsPath, root, design, phases, Log);
Log($"Wrote {written}.");
if (v3)
{
    // The version-3 page from the records alone: the same walk through the phases with a batch that trains nothing.
    var v3Design = new V3Design(design);
    var v2Records = StudyRecords.Load(design, phases);
    var v2Choices = await ReadOnlyPhases().TuneAsync();
    var walk = new V3Phases(ReadOnlyBatch(v3Root), v3Design, v2Choices, phases, v2Records, v3Root, _ => { });
    var v3Choices = await walk.RunAsync();
    // The addendum's records, read the same way (its own root); and the training split's size in tokens, from what
    // the records say they trained on.
    string addendumRoot = Path.Combine(root, "v3-controls-2x");
    var retuned = await new V3Phases(ReadOnlyBatch(addendumRoot), v3Design, v2Choices, phases, v2Records,
        addendumRoot, _ => { }).RetuneControlsAsync();
    long trainingTokens = StudyRecords.TrainingTokens(phases.ReportedDirectory(StudyDesign.Middle));
    var addendumPhases = new V3Phases(ReadOnlyBatch(addendumRoot), v3Design, v2Choices, phases, v2Records,
        addendumRoot, _ => { });
    var rerun = V3Records.Load(v3Design, walk, v2Records, v3Choices);
    foreach (var b in new[] { v3Design.One, v3Design.Two })
        rerun = rerun.Replacing(addendumPhases.NewArmsDirectory(b), b.Name, v3Design.NewArms);
    Log($"Wrote {V3ResultsPage.Write(v3ResultsPath, v3Root, v3Design, walk, v3Choices, v2Records, trainingTokens, retuned, rerun)}{(v3Choices.WaitingFor is null ? "" : $" (in progress: waiting for {v3Choices.WaitingFor})")}.");
}
return 0;
