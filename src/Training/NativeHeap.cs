// Gives freed native memory back to the operating system between long pieces of work (sweep trials). glibc's malloc
// keeps freed blocks in its arenas, and after libtorch frees large tensors its dynamic mmap threshold rises, so later
// large tensors come from those arenas too: a process that trains model after model of different shapes grows its
// resident memory trial by trial although nothing is live. malloc_trim(0) returns the free arena memory.
using System.Runtime.InteropServices;

namespace MLNet.LowRank.Training;

/// <summary>Releases memory the native heap holds but does not use.</summary>
public static class NativeHeap
{
    /// <summary>Finalises unreachable tensor wrappers (freeing their native storage), then trims glibc's heap. A no-op
    /// beyond the collection where malloc_trim does not exist (not Linux, or not glibc).</summary>
    public static void Release()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(0); }
        catch (EntryPointNotFoundException) { }  // musl and other C libraries
        catch (DllNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);
}
