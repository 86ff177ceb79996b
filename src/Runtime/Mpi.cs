// A thin binding of the few OpenMPI calls data-parallel training needs (init, rank, size, all-reduce, broadcast,
// barrier, abort, finalize), by P/Invoke into libmpi.so.40. OpenMPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, …) are addresses of exported globals (ompi_mpi_comm_world, …), resolved with NativeLibrary.GetExport. The
// library is opened RTLD_GLOBAL first, because OpenMPI's own plugins resolve its symbols from the global namespace.
// TorchSharp has no torch.distributed, and the MPI.NET package binds only Windows' MS-MPI: hence this file.
using System.Runtime.InteropServices;

namespace MLNet.LowRank.Runtime;

/// <summary>The MPI world of this process: initialised once, finalised when the process exits.</summary>
public sealed class Mpi
{
    const string Library = "libmpi.so.40";
    static readonly object Gate = new();
    static Mpi? world;

    readonly IntPtr comm, mpiFloat, mpiDouble, opSum, opMax;


    /// <summary>This process's rank in MPI_COMM_WORLD.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in MPI_COMM_WORLD.</summary>
    public int Size { get; }

    /// <summary>True when the launcher's environment says this process is one of several MPI ranks (mpirun/mpiexec of
    /// OpenMPI, or srun with PMIx): OMPI_COMM_WORLD_SIZE, or PMIX_RANK, is set.</summary>
    public static bool Launched =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>The world, initialising MPI on first use. Throws with an install hint when OpenMPI is
    /// missing.</summary>
    public static Mpi World
    {
        get
        {
            lock (Gate) return world ??= new Mpi();
        }
    }

    /// <summary>True once <see cref="World"/> has been made in this process.</summary>
    public static bool Initialized { get { lock (Gate) return world is not null; } }

    Mpi()
    {
        IntPtr handle = dlopen(Library, RTLD_NOW | RTLD_GLOBAL);
        if (handle == IntPtr.Zero)
            throw new DllNotFoundException($"Data-parallel training needs OpenMPI's {Library}, which could not be " +
                $"loaded ({Marshal.PtrToStringUTF8(dlerror()) ?? "not found"}). Install it (Debian/Ubuntu: apt-get " +
                $"install openmpi-bin libopenmpi3) and launch with mpirun or srun.");
        IntPtr Export(string name) => NativeLibrary.GetExport(handle, name);
        comm = Export("ompi_mpi_comm_world");
        mpiFloat = Export("ompi_mpi_float");
        mpiDouble = Export("ompi_mpi_double");
        opSum = Export("ompi_mpi_op_sum");
        opMax = Export("ompi_mpi_op_max");
        Check(MPI_Initialized(out int already), "MPI_Initialized");
        if (already == 0) Check(MPI_Init(IntPtr.Zero, IntPtr.Zero), "MPI_Init");
        Check(MPI_Comm_rank(comm, out int rank), "MPI_Comm_rank");
        Check(MPI_Comm_size(comm, out int size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Shutdown();
    }

    /// <summary>Sums <paramref name="count"/> float32 values at <paramref name="data"/> (native memory, e.g. a
    /// contiguous CPU tensor's) over every rank, in place.</summary>
    public void AllReduceSumFloats(IntPtr data, long count)
    {
        // MPI counts are int: a large buffer goes in pieces.
        const int piece = int.MaxValue / 2;
        for (long at = 0; at < count; at += piece)
            Check(MPI_Allreduce(InPlace, data + (nint)(at * sizeof(float)), (int)Math.Min(piece, count - at), mpiFloat,
                opSum, comm), "MPI_Allreduce");
    }

    /// <summary>The element-wise sum over every rank of <paramref name="values"/>, in place.</summary>
    public void AllReduceSum(double[] values) => Reduce(values, opSum);

    /// <summary>The element-wise maximum over every rank of <paramref name="values"/>, in place.</summary>
    public void AllReduceMax(double[] values) => Reduce(values, opMax);

    void Reduce(double[] values, IntPtr op)
    {
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        try { Check(MPI_Allreduce(InPlace, pin.AddrOfPinnedObject(), values.Length, mpiDouble, op,
            comm), "MPI_Allreduce"); }
        finally { pin.Free(); }
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="values"/> on every rank.</summary>
    public void Broadcast(double[] values, int root = 0)
    {
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        try { Check(MPI_Bcast(pin.AddrOfPinnedObject(), values.Length, mpiDouble, root, comm), "MPI_Bcast"); }
        finally { pin.Free(); }
    }

    /// <summary>Waits until every rank arrives.</summary>
    public void Barrier() => Check(MPI_Barrier(comm), "MPI_Barrier");

    /// <summary>Ends every rank of the world (a rank that cannot go on must not leave the others waiting in a
    /// collective).</summary>
    public void Abort(int code) => MPI_Abort(comm, code);

    void Shutdown()
    {
        try
        {
            if (MPI_Finalized(out int done) == 0 && done == 0) MPI_Finalize();
        }
        catch (Exception) { } // exiting anyway
    }

    static readonly IntPtr InPlace = 1;   // OpenMPI's MPI_IN_PLACE

    static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}.");
    }

    const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;

    [DllImport("libc", EntryPoint = "dlopen")] static extern IntPtr dlopen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlerror")] static extern IntPtr dlerror();
    [DllImport(Library)] static extern int MPI_Initialized(out int flag);
    [DllImport(Library)] static extern int MPI_Finalized(out int flag);
    [DllImport(Library)] static extern int MPI_Init(IntPtr argc, IntPtr argv);
    [DllImport(Library)] static extern int MPI_Finalize();
    [DllImport(Library)] static extern int MPI_Comm_rank(IntPtr comm, out int rank);
    [DllImport(Library)] static extern int MPI_Comm_size(IntPtr comm, out int size);
    [DllImport(Library)] static extern int MPI_Allreduce(IntPtr send, IntPtr receive, int count, IntPtr type,
        IntPtr op, IntPtr comm);
    [DllImport(Library)] static extern int MPI_Bcast(IntPtr buffer, int count, IntPtr type, int root, IntPtr comm);
    [DllImport(Library)] static extern int MPI_Barrier(IntPtr comm);
    [DllImport(Library)] static extern int MPI_Abort(IntPtr comm, int code);
}
