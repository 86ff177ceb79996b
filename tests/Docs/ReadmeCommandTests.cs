// Every `lowrank` command line README shows parses against the real commands (MLNet.LowRank.Cli.CliRoot): in its bash
// blocks (`dotnet $L …`, `dotnet run --project tools/lowrank -c Release -- …`) and in its inline code. A list of names
// "a | b | c" is checked against the commands; an optional "[--flag value]" is parsed with and without; a line with a "…"
// placeholder is not a command line and is left out (and counted, so the test cannot pass by skipping everything).
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace MLNet.LowRank.Tests.Docs;

public class ReadmeCommandTests(ITestOutputHelper log)
{
    static readonly string[] Prefixes =
    [
        "dotnet run --project tools/lowrank -c Release -- ", "dotnet " +
            "tools/lowrank/bin/Release/net10.0/lowrank.dll ", "dotnet $L ", "lowrank ",
    ];

    /// <summary>The argument lists of README's command lines, each with where it came from.</summary>
    internal static List<(string Where, string[] Args)> Examples(string readme, out int placeholders)
    {
        var lines = new List<(string, string)>();
        bool bash = false;
        int number = 0;
        foreach (var line in readme.Split('\n'))
        {
            number++;
            if (line.StartsWith("```", StringComparison.Ordinal)) { bash = line.StartsWith("```bash",
                StringComparison.Ordinal); continue; }
            if (bash) lines.Add(($"README.md:{number}", StripComment(line.Trim())));
            else foreach (Match m in Regex.Matches(line, "`([^`]+)`")) lines.Add(($"README.md:{number}",
                m.Groups[1].Value));
        }
        var examples = new List<(string, string[])>();
        placeholders = 0;
        foreach (var (where, text) in lines)
        {
            var prefix = Prefixes.FirstOrDefault(p => text.StartsWith(p, StringComparison.Ordinal));
            if (prefix is null) continue;
            string rest = text[prefix.Length..];
            if (rest.Contains('…') || rest.Contains("...")) { placeholders++; continue; }
            // "bench peak | layers | …" lists names, not command lines: the test below checks them against the commands.
            if (rest.Contains(" | ")) continue;
            foreach (var variant in Variants(rest)) examples.Add((where, Split(variant)));
        }
        return examples;
    }

    static IEnumerable<string> Variants(string text)
    {
        var optional = Regex.Match(text, @"\[([^\]]+)\]");
        if (optional.Success)
        {
            yield return text.Remove(optional.Index, optional.Length).Trim();
            yield return text.Remove(optional.Index, optional.Length).Insert(optional.Index,
                optional.Groups[1].Value).Trim();
            yield break;
        }
        yield return text;
    }

    static string StripComment(string line)
    {
        int hash = line.IndexOf(" #", StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash].TrimEnd();
    }

    /// <summary>Words as a POSIX shell splits them (quotes grouped, not expanded further).</summary>
    static string[] Split(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (char c in text)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else word.Append(c); continue; }
            if (c is '"' or '\'') { quote = c; any = true; continue; }
            if (char.IsWhiteSpace(c)) { if (any || word.Length > 0)
                words.Add(word.ToString()); word.Clear(); any = false; continue; }
            word.Append(c);
        }
        if (any || word.Length > 0) words.Add(word.ToString());
        return words.ToArray();
    }

    [Fact]
    public void Every_command_line_in_the_readme_parses()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var examples = Examples(readme, out int placeholders);
        log.WriteLine($"{examples.Count} command lines parsed, {placeholders} with a placeholder left out");
        examples.Count.Should().BeGreaterThan(placeholders, "most examples are real command lines");
        examples.Select(e =>
            e.Args[0]).Distinct().Should().Contain(["tokenize", "train", "sweep", "report", "export", "bench"]);
        var root = MLNet.LowRank.Cli.CliRoot.Create();
        var failures = examples
            .Select(e => (e.Where, Line: string.Join(' ', e.Args),
            Errors: root.Parse(e.Args).Errors.Select(x => x.Message).ToList()))
            .Where(e => e.Errors.Count > 0)
            .Select(e => $"{e.Where}: lowrank {e.Line}: {string.Join("; ", e.Errors)}")
            .ToList();
        failures.Should().BeEmpty("every command line README shows must parse");
    }

    [Fact]
    public void A_misspelled_option_fails_the_parse_so_the_check_above_can_fail()
    {
        var root = MLNet.LowRank.Cli.CliRoot.Create();
        root.Parse(["train", "--stpes", "10"]).Errors.Should().NotBeEmpty();
        root.Parse(["eval", "--corpus", "brown"]).Errors.Should().NotBeEmpty("--model is required");
    }

    [Fact]
    public void The_readme_and_design_name_every_command_and_every_benchmark()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md")),
            design = File.ReadAllText(Path.Combine(root, "docs", "design.md"));
        var cli = MLNet.LowRank.Cli.CliRoot.Create();
        var commands = cli.Subcommands.Select(c => c.Name).ToList();
        string folderRow = readme.Split('\n').Single(l => l.StartsWith("| `tools/lowrank/` |",
            StringComparison.Ordinal));
        string layoutLine = design.Split('\n').Single(l => l.StartsWith("tools/lowrank/", StringComparison.Ordinal));
        foreach (var name in commands)
        {
            folderRow.Should().Contain(name, $"README's folder table names `{name}`");
            layoutLine.Should().Contain(name, $"design.md's layout names `{name}`");
        }
        string benchList = Regex.Match(readme, "`lowrank bench ([^`]+)`").Groups[1].Value;
        var listed = benchList.Split(" | ").Select(w => w.Trim()).ToList();
        listed.Should().BeEquivalentTo(cli.Subcommands.Single(c => c.Name == "bench").Subcommands.Select(c =>
            c.Name), "README's bench list is every benchmark");
    }

    internal static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "README.md"))
                && Directory.Exists(Path.Combine(d.FullName, "src"))) return d.FullName;
        throw new DirectoryNotFoundException("README.md not found above the test binaries.");
    }
}
