namespace MLNet.LowRank.Tests;

/// <summary>Tests that measure the whole process (resident memory, allocations) or write to the process's console run
/// alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (process-wide measurements)";
}
