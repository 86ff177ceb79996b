// Version 4's mode of the study program end to end on a tiny corpus made here (Brown documents in the Gutenberg
// subset's format, with their own manifest): two processes at once split every stage's trials (each trial runs once),
// the page is written from the records alone, and a re-run trains nothing.
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using MLNet.LowRank.Data;

namespace MLNet.LowRank.Tests.Examples;

[Collection(ChildProcessCollection.Name)]
public class StudyV4SmokeTests
{
    static Process Start(string dir, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Study.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        return Process.Start(info)!;
    }

    static (int Code, string Output) Finish(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p
            .Kill(entireProcessTree: true); throw new TimeoutException("the v4 smoke did not finish"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Brown documents as gzip JSONL books (text, author, title, source, blob) with a manifest of SHA-256s,
    /// enough of them that the 5 % held out by hash holds at least three.</summary>
    static void Corpus(string folder)
    {
        Directory.CreateDirectory(folder);
        // The smoke run reads its first 60 books: 3 that the hash holds out and 45 that it does not, within them.
        var all = BrownCorpus.Load().Select(d => d with { Text = d.Text[..Math.Min(3000, d.Text.Length)] }).ToList();
        var books = all.Where(d => DocumentSplit.IsValidation(d.Id, 0.05)).Take(3)
            .Concat(all.Where(d => !DocumentSplit.IsValidation(d.Id, 0.05)).Take(45)).OrderBy(d => d.Id,
            StringComparer.Ordinal).ToList();
        var files = new Dictionary<string, string>();
        foreach (var (chunk, i) in books.Chunk(books.Count / 2 + 1).Select((c, i) => (c, i)))
        {
            string name = $"books-{i:D3}.jsonl.gz";
            using (var gz = new GZipStream(File.Create(Path.Combine(folder, name)), CompressionLevel.Fastest))
            using (var w = new StreamWriter(gz))
                foreach (var b in chunk)
                    w.WriteLine(JsonSerializer.Serialize(new { text = b.Text, author = b.Group, title = b.Id,
                        source = b.Id, blob = b.Id }));
            files[name] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, name))));
        }
        File.WriteAllText(Path.Combine(folder, "manifest.json"),
            JsonSerializer.Serialize(new { documents = books.Count, files }));
    }

    [Fact]
    public void Two_processes_split_every_stage_the_page_needs_only_the_records_and_a_rerun_trains_nothing()
    {
        using var temp = new TempDirectory("study-v4-");
        string dir = temp.Path;
        Corpus(Path.Combine(dir, "corpus"));
        string[] args =
            ["--v4", "--smoke", "--corpus", "corpus", "--shards", "shards", "--out", "study", "--results", "results.md", "--poll-seconds", "1"];
        var streams = new[] { Start(dir, args), Start(dir, args) };
        var runs = streams.Select(Finish).ToList();
        foreach (var (code, output) in runs) code.Should().Be(0, output);
        var trained = runs.SelectMany(r => r.Output.Split('\n').Where(l => l.Contains(": perplexity ",
            StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("] trial ", StringComparison.Ordinal)..])).ToList();
        var records = Directory.GetFiles(Path.Combine(dir, "study", "v4"), "trial-*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "trials").ToList();
        trained.Should().HaveCount(records.Count, "every trial ran in exactly one of the two processes");
        runs.Should().OnlyContain(r => r.Output.Contains(": perplexity "), "both processes trained some of the trials");
        File.ReadAllText(Path.Combine(dir, "study", "v4", "study.log")).Should().Contain("every stage done");

        // The page from the records alone (no corpus needed), then a re-run that trains nothing.
        Directory.Move(Path.Combine(dir, "corpus"), Path.Combine(dir, "corpus-away"));
        var (pageCode,
            pageOutput) = Finish(Start(dir, "--v4", "--smoke", "--report-only", "--out", "study", "--results", "results.md"));
        pageCode.Should().Be(0, pageOutput);
        string page = File.ReadAllText(Path.Combine(dir, "results-v4.md"));
        page.Should().Contain("Every stage of the plan has finished.").And
            .Contain("## The depth question: `deep` against `dense`")
            .And.MatchRegex(@"\| 16 × \| equal FLOPs \| 2 \| [+−]\d\.\d{4} \[").And
            .MatchRegex(@"\*\*Plateau, on each arm's own loss\*\*")
            .And.Contain("## The depth ladder at the dense arm's parameters (4 ×)").And.NotContain("**Interim**")
            .And.MatchRegex(@"## The answer\n\n(.|\n)*- At 16 × and equal tokens, `deep` − `dense` = [+−]\d\.\d{4} \[")
            .And.MatchRegex(@"## The answer\n\n[^\n]+\n\n- \*\*In short\*\*: at 16 × the dense arm's compute-optimal " +
                @"tokens \([\d,]+\), the 8-layer low-rank `deep` with the 4-layer `dense` model's parameters \*\*[^*]+\*\* at " +
                @"equal tokens \([+−]\d\.\d{4} \[[^]]+\] nats/byte\)[^*]* and \*\*[^*]+\*\* at equal FLOPs \(" +
                @"(.|\n)*the research plan's hypothesis that the deeper low-rank model has the lower loss: [^.]+ here\. " +
                @"Over 1–16 ×, the gap's trend: [^.]+\. Along depth 4–8–16 at fixed parameters \(4 ×\): ")
            .And.Contain("- Over 1–16 ×, the gap is **").And.Contain("- Plateau: `dense` falls ")
            .And.Contain("- The depth ladder at the dense arm's parameters (4 ×, rung − `dense`): depth 4 (`lowrank-iso`)")
            .And.MatchRegex(@"- Train against validation: `dense` trains at \d\.\d{4} and validates at \d\.\d{4} at 16 ×" +
                @"(.|\n)*`deep` trains at").And.MatchRegex(@"- Machine time: \d+ trials, [\d.]+ hours by their own clocks");
        page.IndexOf("## The answer", StringComparison.Ordinal).Should()
            .BeLessThan(page.IndexOf("## Progress", StringComparison.Ordinal), "the answer comes first");
        // Every verdict figure recomputed from outside (numpy/scipy) where Debian's interpreter has scipy (CI).
        if (DebianPython.Has("scipy", "numpy"))
        {
            var (crossCode, crossOutput) = CrosscheckV4Tests.Run(Path.Combine(dir, "study", "v4"), Path.Combine(dir,
                "results-v4.md"));
            crossCode.Should().Be(0, crossOutput);
            crossOutput.Should().MatchRegex(@"crosscheck: \d{3,} figures recomputed");
            // The answer's first sentence is held to the records too: one of its figures and one of its readings
            // changed, the script names both.
            var lead = System.Text.RegularExpressions.Regex.Match(page,
                @"\*\*In short\*\*: .*?\*\*([^*]+)\*\* at equal tokens \([+−]\d\.\d{3}(\d) .*?\*\*([^*]+)\*\* at equal FLOPs");
            lead.Success.Should().BeTrue();
            var (digit, reading) = (lead.Groups[2], lead.Groups[3]);
            string tampered = page[..digit.Index] + (digit.Value == "9" ? "0" : $"{digit.Value[0] - '0' + 1}") +
                page[(digit.Index + 1)..reading.Index] + "matches nothing" + page[(reading.Index + reading.Length)..];
            File.WriteAllText(Path.Combine(dir, "tampered.md"), tampered);
            (crossCode, crossOutput) = CrosscheckV4Tests.Run(Path.Combine(dir, "study", "v4"), Path.Combine(dir,
                "tampered.md"));
            crossCode.Should().Be(1, crossOutput);
            crossOutput.Should().Contain("MISMATCH in short 16 × equal tokens mean").And
                .Contain("MISMATCH 'In short' reads 16 × equal FLOPs as 'matches nothing'");
        }
        // A low-side check that does not hold marks its cell and every verdict at that budget (the plan's rule): the
        // deep arm's 16 × low-side run given a loss below its seeds' prediction bound.
        string lowSide = Directory.GetFiles(Path.Combine(dir, "study", "v4", "low-side", "budget-16", "trials"),
            "*.json").Single(f => File.ReadAllText(f).Contains("\"Depth\": \"8\""));
        string original = File.ReadAllText(lowSide);
        var record = System.Text.Json.Nodes.JsonNode.Parse(original)!;
        record["CrossEntropy"] = 0.5;
        File.WriteAllText(lowSide, record.ToJsonString());
        (pageCode, pageOutput) = Finish(Start(dir, "--v4", "--smoke", "--report-only", "--out", "study", "--results",
            "results.md"));
        pageCode.Should().Be(0, pageOutput);
        page = File.ReadAllText(Path.Combine(dir, "results-v4.md"));
        const string mark = "rate not confirmed: half the rate scored 0.5000";
        page.Should().Contain($"- `deep` at 16 ×: half the rate").And.Contain($"**{mark}**.")
            .And.MatchRegex($@"\| `deep` \| 8 \| 16 × \|.*low-side check: \*\*{mark}\*\*\) \|")
            .And.MatchRegex($@"\| 16 × \| equal tokens \|.*\| \w[\w ]* \({mark}\) \|")
            .And.MatchRegex($@"\| 16 × \| equal FLOPs \|.*\({mark}\)")
            .And.NotMatchRegex($@"\| 4 × \| equal tokens \|.*{mark}", "only the budget whose check failed is marked");
        File.WriteAllText(lowSide, original);
        Directory.Move(Path.Combine(dir, "corpus-away"), Path.Combine(dir, "corpus"));
        var (code2, output2) = Finish(Start(dir, args));
        code2.Should().Be(0, output2);
        output2.Should().NotContain(": perplexity ", "no trial trained again");
    }
}
