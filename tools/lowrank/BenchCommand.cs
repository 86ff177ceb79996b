// `lowrank bench`: machine and model measurements, one subcommand per file under Bench/ — peak (the MFU denominator),
// layers, train, peer, muon, pipeline, memory, generate, make-corpus. Tables on screen; CSV where --csv says.
using System.CommandLine;
using MLNet.LowRank.Cli.Bench;

namespace MLNet.LowRank.Cli;

static class BenchCommand
{
    public static Command Create() =>
        new("bench", "Benchmarks: peak, layers, train, peer, muon, pipeline, memory, generate, make-corpus.")
    {
        PeakBench.Create(), LayersBench.Create(), TrainBench.Create(), PeerBench.Create(), MuonBench.Create(),
        PipelineBench.Create(), MemoryBench.Create(), GenerateBench.Create(), MakeCorpusBench.Create(),
    };
}
