// How glibc's malloc gives libtorch its memory.
//
// libtorch's CPU allocator takes every tensor from malloc and frees it when the tensor dies, so a training step
// allocates and frees the same large activations and gradients every step. glibc serves a block above its mmap
// threshold (128 KiB, rising with use to at most 32 MiB) with a fresh mmap and gives it back with munmap on free: every
// step the kernel maps, zeroes and unmaps the same hundreds of megabytes. perf showed page-fault handling and page
// zeroing as the largest kernel share of the library's samples (dense width 256), and the process spent 2.7 of its 33
// seconds in the kernel. With the threshold raised, such blocks come from malloc's heap and are reused from step to
// step: system time halves and steps at width 256 are 6–9 % faster (docs/performance.md). The price is resident memory:
// the heap keeps its high-water mark and some fragmentation (peak ~1.0 GB instead of ~0.75 GB for that model).
//
// A threshold the user set (MALLOC_MMAP_THRESHOLD_, or glibc.malloc.mmap_threshold in GLIBC_TUNABLES) is kept.
// LOWRANK_MALLOC=default leaves glibc's own behaviour (setting MALLOC_MMAP_THRESHOLD_=131072 does not: a fixed
// threshold turns off the dynamic one, and every block above 128 KiB is then mapped — measured far slower).
using System.Runtime.InteropServices;

namespace MLNet.LowRank.Runtime;

/// <summary>The malloc settings this library gives libtorch's CPU tensors (Linux with glibc).</summary>
public static class MemoryPolicy
{
    /// <summary>Blocks up to this size come from malloc's heap and are reused; larger ones are mapped and unmapped
    /// (1 GiB: every activation of the CPU-sized models this library trains, not a one-off giant buffer).</summary>
    public const int MmapThreshold = 1 << 30;

    /// <summary>Set to "default" to leave glibc's malloc as it is.</summary>
    public const string OptOutVariable = "LOWRANK_MALLOC";

    const int M_MMAP_THRESHOLD = -3;

    /// <summary>What <see cref="Apply"/> did (for logs and benchmarks).</summary>
    public static string Report { get; private set; } = "not applied";

    /// <summary>Whether this process raised the threshold (a child process that should run alike gets
    /// MALLOC_MMAP_THRESHOLD_; the user's own setting reaches children through the environment anyway).</summary>
    public static bool Applied { get; private set; }

    /// <summary>Raises glibc's mmap threshold to <see cref="MmapThreshold"/> unless the user set one. Called once, when
    /// <see cref="TorchRuntime"/> initialises libtorch; later allocations follow it.</summary>
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            Report = "left to the system allocator (not Linux)";
            return;
        }
        string? tunables = ThreadPolicy.NativeVariable("GLIBC_TUNABLES");
        if (Environment.GetEnvironmentVariable(OptOutVariable) == "default")
            Report = $"glibc's default ({OptOutVariable}=default)";
        else if (ThreadPolicy.NativeVariable("MALLOC_MMAP_THRESHOLD_") is { } user)
            Report = $"kept the user's MALLOC_MMAP_THRESHOLD_={user}";
        else if (tunables?.Contains("glibc.malloc.mmap_threshold", StringComparison.Ordinal) == true)
            Report = $"kept the user's GLIBC_TUNABLES={tunables}";
        else
        {
            try
            {
                Applied = MallOpt(M_MMAP_THRESHOLD, MmapThreshold) == 1;
                Report = Applied
                    ? $"mmap threshold {MmapThreshold >> 20} MiB (malloc reuses tensor memory across steps)"
                    : "mallopt refused the mmap threshold; malloc's default kept";
            }
            catch (EntryPointNotFoundException)
            {
                Report = "no mallopt in this C library; its default kept";
            }
            catch (DllNotFoundException)
            {
                Report = "no libc found; the allocator's default kept";
            }
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);
}
