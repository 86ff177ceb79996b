// Test collections that start real child processes, and how many collections run at once.
using Xunit;

// Three collections at a time on a two-core machine: a child process spends its first seconds starting the runtime,
// JIT-compiling and loading libtorch on one core, so a third stream of tests fills the idle core.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace MLNet.LowRank.Tests;

/// <summary>Tests that start real child processes (the CLI, the fuzz harness, Slurm, dotnet pack) run one after another
/// — each child trains on both cores — but beside the in-process tests. Measurements of this process's own memory stay
/// in <see cref="SerialCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ChildProcessCollection
{
    public const string Name = "Child processes (one at a time, beside the in-process tests)";
}

/// <summary>The study program's smoke run, the longest child-process test, in a stream of its own so that it starts
/// with the suite instead of after the other child processes.</summary>
[CollectionDefinition(Name)]
public sealed class StudySmokeCollection
{
    public const string Name = "The study's smoke run";
}
