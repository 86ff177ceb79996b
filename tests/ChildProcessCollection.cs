// Test collections that start real child processes, and how many collections run at once.
using Xunit;

// Three collections at a time on a two-core machine: every process of the run gives libtorch one thread
// (tests/test.runsettings), and a child process spends its first seconds starting the runtime, JIT-compiling and
// loading libtorch, so a third stream of tests fills what the other two leave idle.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace MLNet.LowRank.Tests;

/// <summary>Tests that start real child processes (the CLI, the fuzz harness, Slurm) run one after another — a test may
/// start several children at once — but beside the in-process tests. Measurements of this process's own memory stay in
/// <see cref="SerialCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ChildProcessCollection
{
    public const string Name = "Child processes (one at a time, beside the in-process tests)";
}

/// <summary>A second stream of child processes, beside the first: the study program's smoke run (the longest test, so
/// it starts with the suite), then packaging — split so that neither stream is much longer than the other with CI's
/// Slurm and packaging tests on.</summary>
[CollectionDefinition(Name)]
public sealed class SecondChildProcessCollection
{
    public const string Name = "Child processes, second stream (the study's smoke run, packaging)";
}
