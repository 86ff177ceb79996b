namespace MLNet.LowRank.Tests;

/// <summary>Tests that start real child processes (the CLI, the study program, Slurm, dotnet pack) run one after another
/// — each child trains on both cores — but beside the in-process tests, whose cores sit idle while a child starts its
/// runtime, JIT-compiles and loads libtorch. Measurements of this process's own memory stay in <see cref="SerialCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ChildProcessCollection
{
    public const string Name = "Child processes (one at a time, beside the in-process tests)";
}
