// Version 4's page recomputed from outside: examples/Study/crosscheck_v4.py (numpy and scipy, none of the study's C#)
// reads the committed records and compares every verdict figure the committed page prints. The committed page agrees;
// a page with one figure or one reading changed does not, and the script names it.
using MLNet.LowRank.Tests.Docs;

namespace MLNet.LowRank.Tests.Examples;

public class CrosscheckV4Tests
{
    /// <summary>Runs the cross-check on a study root and page; exit code and output.</summary>
    internal static (int Code, string Output) Run(string root, string page) => DebianPython.Run(
        [Path.Combine(ReadmeCommandTests.RepositoryRoot(), "examples", "Study", "crosscheck_v4.py"), root, page]);

    [SkippableFact]
    public void The_committed_page_agrees_with_an_outside_recomputation_and_a_changed_figure_does_not()
    {
        Skip.IfNot(DebianPython.Has("scipy", "numpy"), $"{DebianPython.Path} has no scipy (apt-get install python3-scipy; CI installs it)");
        string repository = ReadmeCommandTests.RepositoryRoot();
        string root = Path.Combine(repository, "docs", "study", "v4"), page = Path.Combine(repository, "docs",
            "results-v4.md");
        var (code, output) = Run(root, page);
        code.Should().Be(0, output);
        output.Should().MatchRegex(@"crosscheck: [1-9]\d* figures recomputed", "the committed cells are checked");

        // The first cell with an interval, its mean's last digit changed.
        using var dir = new TempDirectory("lowrank-crosscheck-");
        string text = File.ReadAllText(page);
        var cell = System.Text.RegularExpressions.Regex.Match(text,
            @"^\| `([\w-]+)` \| \d+ \| (\d+) × \| [\d,]+ \| (\d\.\d{3})(\d) \[", System.Text.RegularExpressions
            .RegexOptions.Multiline);
        cell.Success.Should().BeTrue("the committed page has a cell with at least two seeds");
        char changed = cell.Groups[4].Value[0] == '9' ? '0' : (char)(cell.Groups[4].Value[0] + 1);
        string tampered = Path.Combine(dir.Path, "results-v4.md");
        File.WriteAllText(tampered, text[..cell.Groups[4].Index] + changed + text[(cell.Groups[4].Index + 1)..]);
        (code, output) = Run(root, tampered);
        code.Should().Be(1, output);
        output.Should().Contain($"MISMATCH cell {cell.Groups[1].Value} {cell.Groups[2].Value} × mean");
    }
}
