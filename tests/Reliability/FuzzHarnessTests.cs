// The fuzz harness (tools/fuzz) in CI: a fixed seed, a fixed count of cases (30 per kind: the same cases on any
// machine, however loaded), a memory cap; every file kind the library reads, mutated structure-aware. The property is
// the harness's own (a clear refusal or a working file, within the time and memory limits): any finding fails the test
// with the cases to replay.
using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace MLNet.LowRank.Tests.Reliability;

[Collection(ChildProcessCollection.Name)]
public class FuzzHarnessTests(ITestOutputHelper log)
{
    static string Harness => Path.Combine(AppContext.BaseDirectory, "LowRank.Fuzz.dll");

    static (int Code, string Output) Run(string work, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Harness);
        foreach (var a in args.Concat(["--work", work])) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(4))) { p
            .Kill(entireProcessTree: true); throw new TimeoutException("the fuzz harness overran its budget"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void Every_file_kind_survives_thirty_seeded_mutations()
    {
        using var work = new TempDirectory("fuzz-");
        string report = Path.Combine(work.Path, "report.json");
        var (code,
            output) = Run(work.Path, "--cases", "270", "--seconds", "200", "--seed", "1", "--memory-mb", "1536", "--case-seconds", "10", "--report", report);
        log.WriteLine(output);
        code.Should().Be(0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var kinds = doc.RootElement.GetProperty("kinds").EnumerateObject().ToList();
        kinds.Should()
            .HaveCount(9, "model zip, checkpoint, safetensors, .pt, tokenizer blob, tiktoken, shards, run directory, " +
            "sweep config");
        foreach (var kind in kinds)
        {
            kind.Value.GetProperty("cases").GetInt32().Should()
                .Be(30, $"{kind.Name}: cases go round the kinds, and all 270 run (the time cap is far away)");
            kind.Value.GetProperty("refused").GetInt32().Should()
                .BeGreaterThan(0, $"{kind.Name}: some mutation must be refused, or the mutations do nothing");
        }
        doc.RootElement.GetProperty("peakResidentMb").GetInt64().Should().BeLessThan(1536);
    }

    [Fact]
    public void Special_files_bombs_escaping_identifiers_and_edge_budgets_are_refused_or_used_correctly()
    {
        using var work = new TempDirectory("fuzz-hostile-");
        string report = Path.Combine(work.Path, "report.json");
        var (code,
            output) = Run(work.Path, "--hostile", "--cases", "60", "--seconds", "200", "--seed", "1", "--memory-mb", "1536", "--case-seconds", "10", "--report", report);
        log.WriteLine(output);
        code.Should().Be(0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var kinds = doc.RootElement.GetProperty("kinds").EnumerateObject().ToList();
        kinds.Select(k => k.Name).Should().BeEquivalentTo(["special file", "identifiers", "budget"]);
        foreach (var kind in kinds)
        {
            kind.Value.GetProperty("cases").GetInt32().Should().Be(20, kind.Name);
            kind.Value.GetProperty("refused").GetInt32().Should()
                .BeGreaterThan(0, $"{kind.Name}: some hostile input must be refused");
        }
    }

    [Fact]
    public void A_case_that_outruns_its_time_limit_is_a_finding_with_its_replay()
    {
        using var work = new TempDirectory("fuzz-");
        // Case 22 of seed 1 gives the tokenizer a catastrophically backtracking pattern: the tokenizer refuses it after
        // its 2 s match timeout, so with a 1 s limit per case the harness must report it as running too long.
        var (code,
            output) = Run(work.Path, "--seed", "1", "--from", "22", "--cases", "1", "--case-seconds", "1", "--seconds", "120");
        code.Should().Be(1, output);
        output.Should().Contain("FINDING case 22 (tokenizer blob").And.Contain("still running after 1 s").And
            .Contain("replay: --seed 1 --from 22 --cases 1");
        var (again,
            replay) = Run(work.Path, "--seed", "1", "--from", "22", "--cases", "1", "--case-seconds", "10", "--seconds", "120");
        again.Should().Be(0, replay);
        replay.Should()
            .Contain("tokenizer blob        1         0        1         0", "with room for the 2 s timeout the same " +
            "case is a clear refusal");
    }
}
