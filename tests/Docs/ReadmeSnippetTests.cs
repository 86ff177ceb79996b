// Every C# block in README.md compiles against the library as it is: the blocks are read from README itself (so a
// snippet cannot drift from the API), in order, as one program — a later block goes on from an earlier one's variables,
// as a reader would paste them. What README leaves to the reader (their own row classes, a data view of prompts, their
// baseline options, a cancellation token) is declared here, and nothing else: a using the blocks need but do not say is
// an error, as it would be for the reader.
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MLNet.LowRank.Tests.Docs;

public class ReadmeSnippetTests
{
    static string Readme()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "README.md"))
                && Directory.Exists(Path.Combine(d.FullName, "src")))
                return File.ReadAllText(Path.Combine(d.FullName, "README.md"));
        throw new FileNotFoundException("README.md not found above the test binaries.");
    }

    /// <summary>The C# blocks of README, each with the README line it starts on.</summary>
    static List<(int Line, string Code)> Blocks(string readme) =>
        Regex.Matches(readme, @"^```csharp\r?\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)
            .Select(m => (readme[..m.Index].Count(c => c == '\n') + 2, m.Groups[1].Value)).ToList();

    // What README's prose says is the reader's: "TextRow, ScoreRow, PromptRow and CompletionRow are your classes with
    // properties named like those columns"; `prompts` a data view of prompts; `baselineOptions` the trainer options of
    // the sweep's baseline; `cancellationToken` the caller's.
    const string ReadersOwnStatements = """
        IDataView prompts = ml.Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "The jury said" } });
        var baselineOptions = new LowRankLmTrainer.Options { Training = new() { MaxSteps = 10 } };
        var cancellationToken = System.Threading.CancellationToken.None;
        """;

    const string ReadersOwnTypes = """
        sealed class TextRow { public string Text { get; set; } = ""; }
        sealed class ScoreRow { public float NegLogLikelihood { get; set; } public int PredictedTokens { get; set; } public int PredictedBytes { get; set; } public float[] TokenLogProbabilities { get; set; } = []; }
        sealed class PromptRow { public string Prompt { get; set; } = ""; }
        sealed class CompletionRow { public string Completion { get; set; } = ""; }
        """;

    [Fact]
    public void Every_csharp_block_in_the_readme_compiles_as_one_program()
    {
        var blocks = Blocks(Readme());
        blocks.Should().HaveCountGreaterThanOrEqualTo(3, "README shows the pipeline, using the model, and a sweep");
        var usings = new List<string>();
        var statements = new System.Text.StringBuilder();
        var types = new System.Text.StringBuilder(ReadersOwnTypes);
        foreach (var (line, code) in blocks)
        {
            var lines = code.Split('\n');
            usings.AddRange(lines.Where(l => l.StartsWith("using ",
                StringComparison.Ordinal) && l.TrimEnd().EndsWith(';')));
            statements.AppendLine($"#line {line} \"README.md\"");
            foreach (var l in lines) statements.AppendLine(l.StartsWith("using ", StringComparison.Ordinal) ? "" : l);
            // The reader's own declarations go in after the first block, which makes `ml`.
            if (line == blocks[0].Line) statements.AppendLine("#line hidden").AppendLine(ReadersOwnStatements);
        }
        // A reader's `dotnet new console` project has the SDK's implicit usings.
        const string ImplicitUsings = "global using System; global using System.IO; global using System.Linq; global " +
            "using System.Collections.Generic; global using System.Net.Http; global using System.Threading; global " +
            "using System.Threading.Tasks;";
        string source = ImplicitUsings + "\n" + string.Join('\n',
            usings.Distinct()) + "\n" + statements + "\n#line default\n" + types;
        var compilation = CSharpCompilation.Create("ReadmeSnippets",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "README.md")],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication,
            nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        errors.Should().BeEmpty("every README block must compile as shown:\n" + string.Join("\n", errors));
        using var output = new MemoryStream();
        compilation.Emit(output).Success.Should().BeTrue();
    }

    static IEnumerable<MetadataReference> References()
    {
        // The framework, and every assembly the test process has (the library, ML.NET, TorchSharp, …).
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToHashSet();
        foreach (var a in new[] { typeof(MLNet.LowRank.ExtensionRegistry).Assembly,
            typeof(Microsoft.ML.MLContext).Assembly })
            paths.Add(a.Location);
        foreach (var f in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            if (IsManaged(f)) paths.Add(f);
        return paths.GroupBy(Path.GetFileName).Select(g => MetadataReference.CreateFromFile(g.First()));
    }

    static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
