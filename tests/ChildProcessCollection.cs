// Test collections that start real child processes, and how many collections run at once.
using Xunit;

// Three collections at a time on a two-core machine: a child process spends its first seconds starting the runtime,
// JIT-compiling and loading libtorch on one core, so a third stream of tests fills the idle core.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace MLNet.LowRank.Tests;

/// <summary>Tests that start real child processes (the CLI, the fuzz harness, Slurm) run one after another
/// — each child trains on both cores — but beside the in-process tests. Measurements of this process's own memory stay
/// in <see cref="SerialCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ChildProcessCollection
{
    public const string Name = "Child processes (one at a time, beside the in-process tests)";
}

/// <summary>A second stream of child processes, beside the first: the study program's smoke run (the longest test, so it
/// starts with the suite), then packaging — split so that neither stream is much longer than the other with CI's Slurm
/// and packaging tests on.</summary>
[CollectionDefinition(Name)]
public sealed class SecondChildProcessCollection
{
    public const string Name = "Child processes, second stream (the study's smoke run, packaging)";
}
