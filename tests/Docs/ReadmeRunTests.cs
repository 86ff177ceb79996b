// README's cheap command lines run, as README spells them: `generate` and both forms of `export` on a tiny trained
// model saved under README's file name, and the `--help` lines — in process, through the CLI's own command tree. Only
// the file names are made absolute (into a temporary folder); every flag and value is README's, so a renamed flag, a
// changed default or a broken command fails here, not in a reader's terminal. The expensive lines (training for
// minutes, sweeps, benchmarks) are parsed by ReadmeCommandTests and run by their own tests on tiny configurations.
using System.Text.RegularExpressions;
using MLNet.LowRank.Tests.Generation;
using Xunit.Abstractions;

namespace MLNet.LowRank.Tests.Docs;

[Collection(SerialCollection.Name)]   // the commands write to the process's console
public class ReadmeRunTests(TrainedTinyModel fixture, ITestOutputHelper log) : IClassFixture<TrainedTinyModel>
{
    static readonly string[] Runnable = ["generate", "export"];

    [Fact]
    public void The_cheap_command_lines_in_the_readme_run_as_written()
    {
        string readme = File.ReadAllText(Path.Combine(ReadmeCommandTests.RepositoryRoot(), "README.md"));
        var examples = ReadmeCommandTests.Examples(readme, out _);
        var runnable = examples.Where(e => Runnable.Contains(e.Args[0]) || e.Args.Contains("--help")).ToList();
        runnable.Select(e =>
            e.Args[0]).Should()
            .Contain(["generate", "export", "train", "--help"], "README shows these and the test must reach them");

        using var dir = new TempDirectory("readme-run-");
        string Local(string word) => Regex.IsMatch(word, @"^[\w.-]+\.(zip|safetensors|pt)$") ? Path.Combine(dir.Path,
            word) : word;
        var schema = fixture.Ml.LowRank().Data.LoadFromTexts(["x"]).Schema;
        fixture.Ml.LowRank().SaveModel(fixture.Pipeline, schema, Path.Combine(dir.Path, "model.zip"));

        foreach (var (where, args) in runnable)
        {
            var local = args.Select(Local).ToArray();
            var output = new StringWriter();
            var (previousOut, previousError) = (Console.Out, Console.Error);
            int code;
            try
            {
                Console.SetOut(output);
                Console.SetError(output);
                code = MLNet.LowRank.Cli.CliRoot.Create().Parse(local).Invoke();
            }
            finally
            {
                Console.SetOut(previousOut);
                Console.SetError(previousError);
            }
            log.WriteLine($"{where}: lowrank {string.Join(' ', args)} → {code}");
            code.Should().Be(0, $"{where}: lowrank {string.Join(' ', args)} runs:\n{output}");
            if (args.Contains("--help")) output.ToString().Should().Contain("Usage", where);
            else if (args[0] == "generate")
                output.ToString().Trim().Should().NotBeEmpty($"{where}: generate prints its text");
            else
            {
                string written = local[Array.IndexOf(args, "--out") + 1];
                new FileInfo(written).Length.Should().BeGreaterThan(8, $"{where}: export wrote {written}");
                File.Delete(written);   // the next form of the same line must write it afresh
            }
        }
    }
}
