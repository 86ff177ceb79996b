// `lowrank report RUN_DIR`: merge finished trials (from every shard) into report.md, summaries and figures.
using System.CommandLine;
using MLNet.LowRank.Reporting;

namespace MLNet.LowRank.Cli;

static class ReportCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("run-dir") { Description = "A sweep's run directory." };
        var command =
            new Command("report", "Write report.md, summary.csv/jsonl and PNG figures for the trials finished so " +
            "far.") { dir };
        command.SetAction(parse =>
        {
            Console.WriteLine(ReportWriter.Write(parse.GetValue(dir)!.FullName));
            return 0;
        });
        return command;
    }
}
