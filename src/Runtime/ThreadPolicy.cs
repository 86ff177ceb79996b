// How libtorch's CPU threads behave when processes share cores.
//
// libtorch runs its parallel loops on OpenMP (the libgomp it ships), whose idle threads spin for a while before they
// sleep. On a machine whose cores are all taken that spinning burns the time the other process needed: two dense
// trainings started together on this project's 2-core machine ran at 13.5 % of their solo speed each (docs/
// performance.md). OMP_WAIT_POLICY=PASSIVE makes an idle thread sleep at once; the same pair then kept 52 % each, and
// a process alone lost nothing. libgomp reads the variable once, when it is loaded, so it has to be in the native
// environment before libtorch is: .NET's Environment.SetEnvironmentVariable only changes .NET's own copy, hence libc's
// setenv, called from a module initializer (any use of this library runs it before any tensor exists). A value the
// user set (OMP_WAIT_POLICY or GOMP_SPINCOUNT) is left alone.
//
// Thread count: the CPUs this process may use — .NET's ProcessorCount honours the affinity mask and cgroup quotas — and
// under Slurm no more than SLURM_CPUS_PER_TASK (a task that is not bound to its CPUs would otherwise start a thread per
// CPU of the node). OMP_NUM_THREADS, when set, wins; so does TrainingOptions.Threads.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MLNet.LowRank.Runtime;

/// <summary>The OpenMP wait policy and default thread count this library gives libtorch.</summary>
public static class ThreadPolicy
{
    /// <summary>The most libtorch threads an option may ask for: far more than any machine this runs on has cores, and
    /// small enough that OpenMP can start them (100,000 threads once hung a run before its first step).</summary>
    public const int MaxThreads = 1024;

    /// <summary>The wait policy set when the user set none.</summary>
    public const string WaitPolicy = "PASSIVE";

    /// <summary>What the module initializer did about the wait policy (for logs and diagnostics).</summary>
    public static string Report { get; private set; } = "not applied";

    /// <summary>Threads to give libtorch by default: OMP_NUM_THREADS if set, else the CPUs this process may use, capped
    /// by SLURM_CPUS_PER_TASK under Slurm, and shared out among the MPI ranks on this node (OMPI_COMM_WORLD_LOCAL_SIZE,
    /// or SLURM_NTASKS_PER_NODE): two data-parallel ranks on two cores get one thread each.</summary>
    public static int DefaultThreads()
    {
        if (PositiveInt(Environment.GetEnvironmentVariable("OMP_NUM_THREADS")) is int omp) return omp;
        int cpus = Environment.ProcessorCount;
        if (PositiveInt(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK")) is int slurm)
            cpus = Math.Min(cpus, slurm);
        else if ((PositiveInt(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"))
            ?? PositiveInt(Environment.GetEnvironmentVariable("SLURM_NTASKS_PER_NODE"))) is int local)
            cpus = Math.Max(1, cpus / local);
        return Math.Max(1, cpus);
    }

    /// <summary>The native environment's value of <paramref name="name"/> (what libgomp sees), or null.</summary>
    public static string? NativeVariable(string name) => OperatingSystem.IsWindows()
        ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(GetEnv(name));

    static int? PositiveInt(string? text) =>
        int.TryParse(text?.Split(',')[0], System.Globalization.NumberStyles.Integer,
        System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

#pragma warning disable CA2255 // a library module initializer is the point: it must run before libtorch is loaded
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (OperatingSystem.IsWindows())
        {
            Report = "left to the OpenMP runtime's default (Windows)";
            return;
        }
        string? user = NativeVariable("OMP_WAIT_POLICY")
            ?? (NativeVariable("GOMP_SPINCOUNT") is { } spin ? $"GOMP_SPINCOUNT={spin}" : null);
        if (user is not null)
        {
            Report = $"kept the user's {(user.Contains('=') ? user : "OMP_WAIT_POLICY=" + user)}";
            return;
        }
        if (OpenMpAlreadyLoaded())
        {
            Report = "not set: libgomp was loaded before this library (set OMP_WAIT_POLICY=PASSIVE in the environment)";
            return;
        }
        Report = SetEnv("OMP_WAIT_POLICY", WaitPolicy,
            0) == 0 ? $"set OMP_WAIT_POLICY={WaitPolicy} before libtorch loaded" : "setenv failed; OpenMP default kept";
    }

    static bool OpenMpAlreadyLoaded()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
