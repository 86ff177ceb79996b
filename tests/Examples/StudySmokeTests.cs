// The study program (examples/Study) end to end in its smoke mode: every phase, the results page with every section and
// a verdict for each question; version 3 on top, which resumes version 2's phases (trains none, changes no record), and
// a re-run of version 3 that trains nothing.
using System.Diagnostics;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Tests.Examples;

[Collection(SecondChildProcessCollection.Name)]
public class StudySmokeTests
{
    /// <summary>Runs the study program (its build beside the tests) to completion; returns exit code and
    /// output.</summary>
    internal static (int Code, string Output) Run(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Study.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(12)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the smoke study did not finish in 12 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    static Dictionary<string, DateTime> Records(string root) => Directory.GetFiles(root, "trial-*.json",
        SearchOption.AllDirectories)
        .ToDictionary(f => f, f => File.GetLastWriteTimeUtc(f));

    [Fact]
    public void The_smoke_study_writes_every_section_and_verdict_and_a_rerun_trains_nothing()
    {
        string dir = Directory.CreateTempSubdirectory("lowrank-study-").FullName;
        try
        {
            var (code, output) = Run(dir, "--smoke", "--out", "study", "--results", "results.md");
            code.Should().Be(0, output);
            string page = File.ReadAllText(Path.Combine(dir, "results.md"));
            foreach (var section in new[] { "## Setup (as run)", "## Learning rates", "## The ladder", "## Paired " +
                "comparisons", "## The plateau", "## Verdicts", "## What this does not show" })
                page.Should().Contain(section);
            page.Should().Contain("| `dense` |").And.Contain("| `lowrank` |").And.Contain("| `deep` |");
            page.Should()
                .MatchRegex(@"1\. \*\*Plateau\.\*\* The main low-rank arm's fitted plateau is (lower than|higher than|not distinguishable)");
            page.Should().Contain("2. **Cost at each budget.** 1/16 ×").And
                .Contain("3. **Depth at equal parameters.** 1/16 ×").And
                .Contain("4. **Controls at the middle budget.** `cola`");
            page.Should().NotContain("Not judged yet");
            // The robustness checks: goodness of fit, the alternative specifications, the gap slopes and the corrected
            // verdict.
            page.Should().Contain("### How well the law fits its own data").And
                .MatchRegex(@"χ² = Σ \(residual ÷ SE\)² = [\d,.]+ on \d+ degrees of freedom");
            page.Should().Contain("| β per arm |").And.Contain("| least squares on ln L |").And
                .Contain("### Without a fitted law");
            page.Should()
                .MatchRegex(@"\*\*Corrected \(2026-12-02\)\.\*\* .*""Low-rank plateaus higher regardless of depth"": \*\*(supported|not shown|not supported)");
            File.Exists(Path.Combine(dir, "study", "gap_vs_tokens.png")).Should().BeTrue();

            var records = Records(Path.Combine(dir, "study"));
            records.Count.Should().BeGreaterThan(40);
            foreach (var f in records.Keys) new ResultStore(Path.GetDirectoryName(Path.GetDirectoryName(f))!).ReadAll()
                .Should().NotBeEmpty();

            // Version 3 on top of version 2's records: it walks version 2's phases first, which resume (every trial is
            // already done, no record is written again); then every version-3 phase, its page, and a re-run that trains
            // nothing.
            (code, output) = Run(dir, "--smoke", "--v3", "--out", "study", "--results", "results.md");
            code.Should().Be(0, output);
            output[..output.IndexOf(" check: ", StringComparison.Ordinal)].Should().Contain("already done")
                .And.NotContain(": perplexity", "no version-2 trial trained again");
            Records(Path.Combine(dir, "study")).Where(r =>
                !r.Key.Contains($"{Path.DirectorySeparatorChar}v3{Path.DirectorySeparatorChar}"))
                .Should().BeEquivalentTo(records, "version 2's records are read, not rewritten");
            output.Should().Contain("Build check:").And.Contain("Rates at 2 ×");
            string v3 = File.ReadAllText(Path.Combine(dir, "results-v3.md"));
            v3.Should().Contain("Every phase of the plan has finished.").And
                .MatchRegex(@"Compute: \d+ version-3 trials trained .* By the study's log .* those \d+ trials took [\d.]+ hours of wall time");
            foreach (var section in new[] { "## Build check", "## Learning rates", "## The ladder at width 64", "## " +
                "Corrections (2026-12-07)", "## Primary: does a low-rank arm's gap to dense persist?", "### Verdicts" })
                v3.Should().Contain(section);
            v3.Should()
                .MatchRegex(@"\| `dense` \| [\d.]+ \[[\d.]+, [\d.]+\] \(2\) v2 \|", "version 2's 1/4 × records are " +
                "reused and marked");
            v3.Should()
                .MatchRegex(@"Robustness check \(the plan's rule\): `lowrank` − `dense` at 1/4 × with each arm at its own best joint setting is [+−-][\d.]+ .*(the same sign|the opposite sign)");
            v3.Should()
                .MatchRegex(@"""Every low-rank arm's gap outlasts a 16 × line"" \(the plan's ""plateaus higher regardless of depth"", renamed\): (supported|not shown|not supported)\*\*");
            v3.Should()
                .Contain("| arm | FLOPs per token ÷ `dense`'s | budget | gap at equal tokens [95 %] | gap at equal " +
                "FLOPs [95 %] (seeds) |")
                .And.MatchRegex(@"\| `deep` \| 1\.\d{3} \| 1 × \|").And.Contain("Over all 8 control comparisons");
            v3.Should().Contain("## Addendum (2026-12-07): the two controls re-tuned at 2 ×").And
                .Contain("**In progress**", "the addendum has not run yet");
            v3.Should().Contain("| `lowrank-iso` − `dense` | 1 ×, 2 × |");
            v3.Should().Contain("## Secondary: fitted plateaus").And.Contain("| β per arm | dense ")
                .And.MatchRegex(@"- E\(`deep`\) − E\(`dense`\): (the three fits agree and all six intervals lie (above|below) 0|the fits disagree in sign|the fits agree in sign but not every interval excludes 0)");
            v3.Should().Contain("## Controls: fewer parameters, the factoring, and the rank").And
                .Contain("| `dense-small` − `lowrank` |")
                .And.Contain("What each control says, by the plan's rule").And.NotContain("**Interim**");
            v3.Should()
                .MatchRegex(@"- `lowrank-iso` − `full-rank-factored` at 2 ×: (restricting rank|restricting rank costs)");
            v3.Should().Contain("## Width ladder: does the gap shrink as the model grows?").And
                .MatchRegex(@"\*\*The gap against model size: at 1 × (shrinking with size|growing with size|no trend shown)");
            v3.Should().Contain("### Secondary: the joint law L(N, D)").And.MatchRegex(@"\| iso \| 6 \| [\d.]+ \|")
                .And.MatchRegex(@"(no fitted E is compared and no extrapolation is made|\*\*Extrapolation, far outside the data\*\*)");
            v3.Should().Contain("## Rank schedules: does any per-layer schedule beat constant rank?").And
                .MatchRegex(@"\*\*(No schedule beats constant rank beyond the noise|.+ beats? constant rank beyond the noise)\*\*");
            v3.Should().Contain("## Time to a threshold (1 ×, width 32)").And.Contain("| `dense-small` |").And
                .NotContain("## Not written yet");
            var v3Records = Records(Path.Combine(dir, "study", "v3"));
            v3Records.Count.Should().BeGreaterThan(30);
            (code, output) = Run(dir, "--smoke", "--v3", "--out", "study", "--results", "results.md");
            code.Should().Be(0, output);
            output.Should().NotContain(": perplexity", "no version-3 trial trained again");
            Records(Path.Combine(dir, "study", "v3")).Should().Equal(v3Records);
            File.ReadAllText(Path.Combine(dir, "results-v3.md")).Should()
                .Be(v3, "the page is a function of the records");

            // Version 3's addendum: the two controls re-tuned at 2 × (a smoke run counts every rate as moved, so the
            // re-runs at 1 and 2 × run too), then the page judges the controls again from those records.
            (code, output) = Run(dir, "--smoke", "--v3-controls", "--out", "study", "--results", "results.md");
            code.Should().Be(0, output);
            File.ReadAllText(Path.Combine(dir, "study", "v3-controls-2x", "study.log")).Should()
                .Contain("Version 3's controls re-tuned at 2 ×");
            Records(Path.Combine(dir, "study", "v3")).Should()
                .Equal(v3Records, "the addendum writes only under its own root");
            (code, output) = Run(dir, "--smoke", "--v3", "--report-only", "--out", "study", "--results", "results.md");
            code.Should().Be(0, output);
            File.ReadAllText(Path.Combine(dir, "results-v3.md")).Should().Contain("Rate moved for").And
                .Contain("| Holm p (8) |").And.NotContain("**In progress**");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
