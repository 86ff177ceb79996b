// The study's command line, parsed by System.CommandLine like the CLI's: every flag declared once with its default and
// help, an unknown or malformed one refused by name (exit 2) instead of being ignored.
using System.CommandLine;

namespace MLNet.LowRank.Examples.Study;

/// <summary>What one invocation of the study does.</summary>
public sealed record StudyArguments(bool Smoke, bool ReportOnly, bool V3, bool V3Controls, bool V4, bool V4GpuRecipe, string Root,
    string ResultsPath,
    string ResultsV3Path, string ResultsV4Path, string Corpus, string Shards, TimeSpan PollInterval)
{
    /// <summary>The arguments, or null with the exit code when there is nothing to run (help printed: 0; an error:
    /// 2).</summary>
    public static StudyArguments? Parse(string[] args, out int exitCode)
    {
        var smoke = new Option<bool>("--smoke")
        {
            Description = "The whole program on a width-32 model, a few documents and tiny budgets (about a minute).",
        };
        var reportOnly = new Option<bool>("--report-only")
        {
            Description = "Write the results pages from the records already there, training nothing.",
        };
        var v3 = new Option<bool>("--v3")
        {
            Description = "Then run version 3 (docs/study/v3/plan.md) into <out>/v3 and write results-v3.md beside " +
                "results.md.",
        };
        var v3Controls = new Option<bool>("--v3-controls")
        {
            Description = "Run version 3's addendum (the two controls re-tuned at 2 ×) into <out>/v3-controls-2x.",
        };
        var v4 = new Option<bool>("--v4")
        {
            Description = "Run version 4 (docs/study/v4/plan.md) on the Gutenberg subset into <out>/v4 and write " +
                "results-v4.md.",
        };
        var v4Gpu = new Option<bool>("--v4-gpu-recipe")
        {
            Description = "Write version 4's design at GPU scale (not run here) into <out>/v4/gpu-recipe: sweep specs and a " +
                "README with the compute table.",
        };
        var output = new Option<string>("--out")
        {
            Description = "The records' root.",
            DefaultValueFactory = _ => Path.Combine("docs", "study"),
        };
        var results = new Option<string>("--results")
        {
            Description = "Version 2's page; the later versions' pages go beside it.",
            DefaultValueFactory = _ => Path.Combine("docs", "results.md"),
        };
        var resultsV3 = new Option<string?>("--results-v3")
        {
            Description = "Version 3's page (default: results-v3.md beside --results).",
        };
        var resultsV4 = new Option<string?>("--results-v4")
        {
            Description = "Version 4's page (default: results-v4.md beside --results).",
        };
        var corpus = new Option<string>("--corpus")
        {
            Description = "Version 4's corpus: the Gutenberg subset's folder.",
            DefaultValueFactory = _ => Path.Combine("data", "gutenberg"),
        };
        var shards = new Option<string?>("--shards")
        {
            Description = "Where version 4's byte shards go (default runs/gutenberg-bytes; " +
                "runs/gutenberg-bytes-smoke with --smoke).",
        };
        var poll = new Option<double>("--poll-seconds")
        {
            Description = "How often a process with nothing left to claim looks for the records of trials other " +
                "processes hold.",
            DefaultValueFactory = _ => 30,
        };
        var root =
            new RootCommand("The low-rank study (docs/study): trains every phase's trials (a re-run skips every " +
            "finished one) and writes the results pages from the records.")
        {
            smoke, reportOnly, v3, v3Controls, v4, v4Gpu, output, results, resultsV3, resultsV4, corpus, shards, poll,
        };
        poll.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is not (> 0 and < 86_400) and var seconds)
                r.AddError($"--poll-seconds must be above 0 and below a day; got {seconds}.");
        });
        StudyArguments? parsed = null;
        root.SetAction(parse =>
        {
            string resultsPath = parse.GetValue(results)!;
            string beside = Path.GetDirectoryName(resultsPath) ?? ".";
            bool isSmoke = parse.GetValue(smoke);
            parsed = new StudyArguments(isSmoke, parse.GetValue(reportOnly), parse.GetValue(v3),
                parse.GetValue(v3Controls), parse.GetValue(v4), parse.GetValue(v4Gpu),
                parse.GetValue(output)!, resultsPath,
                parse.GetValue(resultsV3) ?? Path.Combine(beside, "results-v3.md"),
                parse.GetValue(resultsV4) ?? Path.Combine(beside, "results-v4.md"), parse.GetValue(corpus)!,
                parse.GetValue(shards) ?? Path.Combine("runs", isSmoke ? "gutenberg-bytes-smoke" : "gutenberg-bytes"),
                TimeSpan.FromSeconds(parse.GetValue(poll)));
            return 0;
        });
        // A parse error prints itself and the usage; it exits 2 as the CLI's do.
        exitCode = root.Parse(args).Invoke();
        if (exitCode != 0) exitCode = 2;
        return exitCode == 0 ? parsed : null;   // null with 0: --help was printed
    }
}
