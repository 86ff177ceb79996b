// Which trial failures a rerun should retry: those that come from the machine at that moment (memory, disk, I/O), not
// from the trial's configuration. Retrying a deterministic failure would only fail again; not retrying a transient one
// would leave a hole in a sweep that a second attempt on a quieter machine fills.
using System.Runtime.InteropServices;

namespace MLNet.LowRank.Experiments;

internal static class TrialFailure
{
    // What libtorch says (inside an ExternalException) when an allocation fails on the CPU or a GPU.
    static readonly string[] NativeOutOfMemory =
        ["out of memory", "can't allocate memory", "not enough memory", "failed to allocate"];

    /// <summary>True for out of memory (managed or native), a full disk and other I/O errors, anywhere in the chain of
    /// inner exceptions. A bad-input error about a file (<see cref="InvalidDataException"/>, a missing file) is not
    /// transient.</summary>
    public static bool IsTransient(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case OutOfMemoryException or InsufficientMemoryException: return true;
                case InvalidDataException or FileNotFoundException or DirectoryNotFoundException: return false;
                case IOException: return true; // disk full, a shared filesystem gone away, …
                case ExternalException when NativeOutOfMemory.Any(m => x.Message.Contains(m,
                StringComparison.OrdinalIgnoreCase)): return true;
            }
        }
        return false;
    }
}
