// lowrank — the command-line front end. Each command lives in its own file; this one only wires them up.
using System.CommandLine;
using MLNet.LowRank.Cli;

var root = new RootCommand("MLNet.LowRank: pre-train baseline and low-rank GPT language models on CPU (or CUDA with -p:TorchBackend=cuda).")
{
    TrainCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
