// docs/design.md's layout table says which folders of src/ each folder may import; this reads the table and every
// source file, and fails on a reference the table does not allow — a `using MLNet.LowRank.X`, a fully qualified
// `MLNet.LowRank.X.`, or a short `X.Type` naming a type (or sub-namespace) that namespace X declares — so a new
// backwards arrow is a decision written in the table, not an accident.
using System.Text.RegularExpressions;

namespace MLNet.LowRank.Tests.Docs;

public partial class LayoutTests
{
    [Fact]
    public void Every_folder_imports_only_what_the_design_table_allows()
    {
        string root = ReadmeCommandTests.RepositoryRoot(), src = Path.Combine(root, "src");
        var allowed = AllowedImports(File.ReadAllText(Path.Combine(root, "docs", "design.md")));
        var folders =
            Directory.GetDirectories(src).Select(Path.GetFileName).Where(f =>
            f is not ("obj" or "bin")).Cast<string>().ToList();
        folders.Should().BeEquivalentTo(allowed.Keys.Where(k =>
            k != "(root)"), "the table has one row per folder of src/");

        var files = folders.SelectMany(f => Directory.GetFiles(Path.Combine(src, f), "*.cs",
            SearchOption.AllDirectories).Select(p => (Folder: f, Path: p))).ToList();
        // What each namespace declares, so that "Model.Dispose()" (a property named Model) is not read as the
        // namespace.
        var declared = new Dictionary<string, HashSet<string>>();
        foreach (var (_, path) in files)
        {
            string text = File.ReadAllText(path);
            if (NamespaceOf().Match(text) is not { Success: true } ns) continue;
            var parts = ns.Groups[1].Value.Split('.');
            if (!declared.TryGetValue(parts[0], out var names)) declared[parts[0]] = names = [];
            if (parts.Length > 1) names.Add(parts[1]);
            foreach (Match t in TypeDeclaration().Matches(text)) names.Add(t.Groups[1].Value);
        }

        var violations = new List<string>();
        foreach (var (folder, path) in files)
        {
            var code = string.Join('\n',
                File.ReadLines(path).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
            var referenced = Using().Matches(code).Select(m => m.Groups[1].Value)
                .Concat(Qualified().Matches(code).Select(m => m.Groups[1].Value))
                .Concat(Short().Matches(code).Where(m =>
                declared.GetValueOrDefault(m.Groups[1].Value)?.Contains(m.Groups[2].Value) == true).Select(m =>
                m.Groups[1].Value));
            foreach (var target in referenced.Distinct().Where(t => t != folder && folders.Contains(t)
                && !allowed[folder].Contains(t)))
                violations.Add($"{Path.GetRelativePath(root, path)} uses {target}");
        }
        violations.Should()
            .BeEmpty("docs/design.md's layout table does not allow these imports (add the arrow to the table, with " +
            "why, or remove it)");
    }

    [Fact]
    public void The_check_sees_a_backwards_import()
    {
        var allowed =
            AllowedImports(File.ReadAllText(Path.Combine(ReadmeCommandTests.RepositoryRoot(), "docs", "design.md")));
        allowed["Model"].Should().BeEquivalentTo(["Runtime", "Common"]);
        allowed["Runtime"].Should().BeEmpty();
        allowed["Catalog"].Should().Contain(["Experiments", "Estimators", "Model"]).And.NotContain("Catalog");
        Short().Match("var t = Estimators.OptionTable.Get(name);").Groups[1].Value.Should().Be("Estimators");
        Short().IsMatch("options.Model.Depth").Should().BeFalse("a member access is not a namespace");
    }

    /// <summary>Folder → folders it may import, from the table's rows ("—" none; "every folder below it"/"every
    /// folder").</summary>
    static Dictionary<string, HashSet<string>> AllowedImports(string design)
    {
        var rows = TableRow().Matches(design).Select(m => (Folder: m.Groups[1].Success ? m.Groups[1].Value
            : m.Groups[2].Value, Imports: m.Groups[3].Value.Trim())).ToList();
        var result = new Dictionary<string, HashSet<string>>();
        for (int i = 0; i < rows.Count; i++)
        {
            var (folder, imports) = rows[i];
            result[folder] = imports switch
            {
                "—" => [],
                "every folder below it" => [.. rows.Take(i).Select(r => r.Folder)],
                "every folder" => [.. rows.Select(r => r.Folder)],
                _ => [.. imports.Split(',').Select(s => Regex.Replace(s, "[¹²³⁴⁵⁶⁷⁸⁹]", "").Trim())],
            };
        }
        return result;
    }

    [GeneratedRegex(@"^\| (?:`(\w+)/`|(\(root\))) \| [^|]+ \| ([^|]+) \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"^using (?:static )?MLNet\.LowRank\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Using();

    [GeneratedRegex(@"(?<![\w.])MLNet\.LowRank\.(\w+)\.")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex Short();

    [GeneratedRegex(@"^namespace MLNet\.LowRank\.([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceOf();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();
}
