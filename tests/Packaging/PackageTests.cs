// The packages as a user gets them: `dotnet pack` the library and the tool into a local folder feed, reference the
// library from a fresh console project (README's snippet, tiny budget), install the tool and run it. Takes minutes and
// about 1 GB of disk (the tool carries libtorch), so it runs when LOWRANK_PACKAGE_TEST=1 — CI sets it.
using System.Diagnostics;
using System.IO.Compression;

namespace MLNet.LowRank.Tests.Packaging;

[Collection(SecondChildProcessCollection.Name)]   // beside the first child stream, after the smoke run
public class PackageTests(Xunit.Abstractions.ITestOutputHelper log)
{
    // The SDK's commands leave empty folders of their own in the temporary folder (ten a run): they get this test's.
    string? temporary;

    [SkippableFact]
    public void The_library_and_the_tool_install_from_a_feed_and_run()
    {
        Skip.IfNot(Environment
            .GetEnvironmentVariable("LOWRANK_PACKAGE_TEST") == "1", "set LOWRANK_PACKAGE_TEST=1 (CI does) to pack, " +
            "install and run the packages");
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "MLNet.LowRank.sln"))) repo = Path.GetDirectoryName(repo)
            ?? throw new InvalidOperationException("Run from inside the repository.");
        string work = Directory.CreateTempSubdirectory("lowrank-package-").FullName;
        temporary = Directory.CreateDirectory(Path.Combine(work, "tmp")).FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            Run(repo, "dotnet", "pack", Path.Combine(repo, "src"), "-c", "Release", "-o", feed);
            Run(repo, "dotnet", "pack", Path.Combine(repo, "tools", "lowrank"), "-c", "Release", "-o", feed);
            using (var package = ZipFile.OpenRead(Path.Combine(feed, "MLNet.LowRank.0.1.0.nupkg")))
                package.Entries.Select(e =>
                    e.FullName).Should()
                    .Contain(["README.md", "LICENSE", "lib/net10.0/MLNet.LowRank.dll", "lib/net10.0/MLNet.LowRank.xml"]);
            File.Exists(Path.Combine(feed, "MLNet.LowRank.0.1.0.snupkg")).Should()
                .BeTrue("symbols ship beside the package");

            // A fresh console project, outside the repository, referencing the package as a user would.
            string app = Directory.CreateDirectory(Path.Combine(work, "app")).FullName;
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="MLNet.LowRank" Version="0.1.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using Microsoft.ML;
                using MLNet.LowRank;
                using MLNet.LowRank.Data.Tokenizers;
                using MLNet.LowRank.Estimators;

                var ml = new MLContext(seed: 1);
                IDataView docs = ml.LowRank().Data.LoadBrownCorpus();
                var split = ml.LowRank().Data.SplitByDocument(docs, validationFraction: 0.1);
                var pipeline = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Bytes())
                    .Append(ml.LowRank().Trainers.LowRankLm(new LowRankLmTrainer.Options
                    {
                        Model = new() { Depth = 2, ModelDim = 32, HeadDim = 16, SequenceLength = 64, AttentionRank = 8, MlpRank = 16 },
                        Training = new() { MaxSteps = 5, EvalEvery = 0 },
                    }));
                var model = pipeline.Fit(split.Train);
                var metrics = ml.LowRank().Evaluate(model.Transform(ml.Data.TakeRows(split.Validation, 3)));
                ml.Model.Save(model, docs.Schema, "model.zip");
                var loaded = ml.LowRank().LoadModel("model.zip");
                Console.WriteLine($"perplexity {metrics.Perplexity:F2}; generated: {loaded.GetLanguageModel().Generate("The", 10, temperature: 0)}");
                """);
            string output = Run(app, "dotnet", "run", "-c", "Release");
            output.Should().MatchRegex(@"perplexity \d+\.\d\d; generated:");

            // The tool, installed from the same feed.
            string tools = Path.Combine(work, "tools");
            Run(work, "dotnet", "tool", "install", "MLNet.LowRank.Cli", "--tool-path", tools, "--add-source",
                feed, "--version", "0.1.0");
            string lowrank = Path.Combine(tools, "lowrank");
            Run(work, lowrank, "--help").Should().Contain("tokenize").And.Contain("sweep");
            File.WriteAllLines(Path.Combine(work, "corpus.jsonl"),
                Enumerable.Range(0,
                30).Select(i => $$"""{"id": "d{{i}}", "text": "Document {{i}}: the quick brown fox jumps over the lazy dog."}"""));
            Run(work, lowrank, "train", "--corpus",
                Path.Combine(work, "corpus.jsonl"), "--steps", "3", "--set", "ModelDim=32", "HeadDim=16", "Depth=2", "SequenceLength=32")
                .Should().Contain("RESULT status=Completed");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    string Run(string directory, string file, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (temporary is not null) info.Environment["TMPDIR"] = temporary;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(TimeSpan.FromMinutes(15)).Should().BeTrue($"{file} {string.Join(' ', args)} finishes");
        string output = stdout.Result + stderr.Result;
        log.WriteLine($"{file} {string.Join(' ', args.Take(3))}…: " +
            $"exit {p.ExitCode} in {clock.Elapsed.TotalSeconds:F0} s");
        p.ExitCode.Should().Be(0, output);
        return output;
    }
}
