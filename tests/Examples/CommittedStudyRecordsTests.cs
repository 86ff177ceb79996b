// The committed study records are still the trials this build would run, and the committed pages are a function of
// them: the study's report-only walk (which refuses a directory whose identity, or a record whose id, this build would
// compute differently — a run would train those trials again) regenerates docs/results.md, docs/results-v3.md and
// docs/results-v4.md byte for byte from a copy of docs/study.
using MLNet.LowRank.Tests.Docs;

namespace MLNet.LowRank.Tests.Examples;

[Collection(SecondChildProcessCollection.Name)]
public class CommittedStudyRecordsTests
{
    [Fact]
    public void Every_committed_record_is_already_done_and_every_page_regenerates_byte_identical()
    {
        string repository = ReadmeCommandTests.RepositoryRoot();
        using var dir = new TempDirectory("lowrank-committed-study-");
        Compatibility.ArtefactChecks.CopyDirectory(Path.Combine(repository, "docs", "study"),
            Path.Combine(dir.Path, "study"));
        string results = Path.Combine(dir.Path, "results.md");

        var (code,
            output) = StudySmokeTests.Run(dir.Path, "--v3", "--report-only", "--out", "study", "--results", results);
        code.Should().Be(0, output);
        (code, output) = StudySmokeTests.Run(dir.Path, "--v4", "--report-only", "--out", "study", "--results", results);
        code.Should().Be(0, output);

        foreach (var page in new[] { "results.md", "results-v3.md", "results-v4.md" })
            File.ReadAllText(Path.Combine(dir.Path,
                page)).Should().Be(File.ReadAllText(Path.Combine(repository, "docs", page)),
                $"docs/{page} is what the study writes from the committed records");
    }

    [Fact]
    public void A_record_this_build_would_identify_otherwise_stops_the_page()
    {
        string repository = ReadmeCommandTests.RepositoryRoot();
        using var dir = new TempDirectory("lowrank-committed-study-");
        Compatibility.ArtefactChecks.CopyDirectory(Path.Combine(repository, "docs", "study"),
            Path.Combine(dir.Path, "study"));
        string experiment = Path.Combine(dir.Path, "study", "reported", "budget-2", "experiment.json");
        File.WriteAllText(experiment,
            File.ReadAllText(experiment)
            .Replace("\"baseline.GradientClip\": \"1\"", "\"baseline.GradientClip\": \"2\""));

        var (code,
            output) = StudySmokeTests.Run(dir.Path, "--v3", "--report-only", "--out", "study", "--results",
            Path.Combine(dir.Path, "results.md"));
        code.Should().NotBe(0);
        output.Should()
            .Contain("budget-2: the records are not the trials this build would run (baseline.GradientClip: this run " +
            "has '1', the directory has '2')");
        File.Exists(Path.Combine(dir.Path, "results.md")).Should()
            .BeFalse("no page is written from records a run would redo");
    }
}
