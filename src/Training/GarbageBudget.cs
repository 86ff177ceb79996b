// Why training memory climbed although every tensor of a step is disposed (design.md's probe; reproduced by
// tests/Training/MemoryTests). Measured at dim 64 with TorchSharp's own counters: the live-tensor count stays flat and
// no tensor is created outside a dispose scope, so no tensor leaks. But each step allocates ~80 KB of managed wrappers,
// and objects that are only released by the GC (finalizable wrappers around native values) keep native memory — about
// four times the managed bytes — until a collection runs. The GC sizes its gen-0 budget from the managed heap alone, so
// it waits for tens of MB of managed garbage, and resident memory climbs by hundreds of KB every step until then. A
// gen-0 collection each time the training thread has allocated a small budget bounds that growth; at the default budget
// it runs every few dozen tiny steps (once per step at real sizes, where a step takes far longer than a gen-0 GC).
namespace MLNet.LowRank.Training;

/// <summary>Runs a gen-0 collection whenever the current thread has allocated <see cref="BudgetBytes"/> since the last
/// one.</summary>
internal sealed class GarbageBudget
{
    /// <summary>Managed bytes allowed between collections.</summary>
    public const long BudgetBytes = 2L << 20;

    long mark = GC.GetAllocatedBytesForCurrentThread();

    /// <summary>Collects gen 0 (and lets finalizers free what they own) when the budget is spent; returns whether it
    /// did.</summary>
    public bool CollectIfSpent()
    {
        long now = GC.GetAllocatedBytesForCurrentThread();
        if (now - mark < BudgetBytes) return false;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        mark = now;
        return true;
    }
}
