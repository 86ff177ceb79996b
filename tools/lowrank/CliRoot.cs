// Every command of `lowrank`, in one root: what Program runs, and what the README test parses its examples against.
using System.CommandLine;

namespace MLNet.LowRank.Cli;

static class CliRoot
{
    public static RootCommand Create() =>
        new("MLNet.LowRank: pre-train baseline and low-rank GPT language models (CPU; CUDA with " +
        "-p:TorchBackend=cuda). " +
        "Start with `lowrank train --help`; sweeps: `lowrank sweep --help`.")
    {
        TokenizeCommand.Create(),
        TrainCommand.Create(),
        EvalCommand.Create(),
        GenerateCommand.Create(),
        ExportCommand.Create(),
        SweepCommand.Create(),
        ReportCommand.Create(),
        BenchCommand.Create(),
    };
}
