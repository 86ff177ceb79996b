// Data parallelism over an MPI world (Runtime/Mpi): every rank draws the same global batch order (SequenceBatcher,
// seeded alike) and computes the gradient of its own BatchSize/N rows; after backward the gradients are summed across
// ranks in one flat float32 buffer and divided by N, so every rank holds the global batch's mean gradient and applies
// the same optimizer step (Muon and AdamW alike) — the run is one process's run with batch BatchSize, up to the order
// of float additions. Rank 0 alone evaluates, writes checkpoints, records, TensorBoard files and progress. Each step
// the ranks also agree on the step's time (the slowest rank's) and on whether to stop, so a time budget or a Ctrl-C
// ends every rank after the same step and none is left waiting in a collective.
using System.Diagnostics;
using System.Runtime.InteropServices;
using MLNet.LowRank.Model;
using MLNet.LowRank.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Training;

/// <summary>This process's part in a data-parallel run.</summary>
public sealed class DataParallel
{
    readonly Mpi world;
    readonly Fault fault;

    /// <summary>Deliberate faults for the tests that prove the equality check can fail
    /// (LOWRANK_DATAPARALLEL_FAULT).</summary>
    internal enum Fault { None, SkipAllReduce, Double, NoDivide }

    DataParallel(Mpi world)
    {
        this.world = world;
        fault = Environment.GetEnvironmentVariable("LOWRANK_DATAPARALLEL_FAULT") switch
        {
            "skip" => Fault.SkipAllReduce, "double" => Fault.Double, "nodivide" => Fault.NoDivide, _ => Fault.None,
        };
    }

    /// <summary>The data-parallel part for <paramref name="options"/>, or null when this process trains
    /// alone.</summary>
    public static DataParallel? For(TrainingOptions options)
    {
        bool wanted = options.DataParallel ?? Mpi.Launched;
        if (!wanted) return null;
        if (options.DataParallel == true && !Mpi.Launched && !Mpi.Initialized)
            throw new InvalidOperationException("DataParallel = true, but this process was not launched by mpirun or " +
                "srun (no OMPI_COMM_WORLD_SIZE or PMIX_RANK in its environment). Launch it with mpirun -n N …, or " +
                "set DataParallel to null.");
        var world = Mpi.World;
        return world.Size > 1 ? new DataParallel(world) : null;
    }

    /// <summary>This rank (0 … Size − 1).</summary>
    public int Rank => world.Rank;

    /// <summary>The number of ranks.</summary>
    public int Size => world.Size;

    /// <summary>True on rank 0, the one that writes.</summary>
    public bool IsRoot => world.Rank == 0;

    /// <summary>Seconds spent in the gradient all-reduce so far.</summary>
    public double AllReduceSeconds { get; private set; }

    /// <summary>This rank's rows of a global batch of <paramref name="batch"/> sequences.</summary>
    public (int Start, int Count) Rows(int batch) => (Rank * (batch / Size), batch / Size);

    /// <summary>Throws, before step 1, unless every rank holds the same weights and the same options and data: a sum of
    /// each, compared across ranks (the largest against the smallest).</summary>
    public void CheckSameStart(Gpt model, TrainingOptions options, int batch, string dataIdentity)
    {
        if (batch % Size != 0)
            throw new ArgumentException($"BatchSize {batch} is not divisible by the {Size} data-parallel ranks: each " +
                $"rank takes BatchSize/{Size} rows of every batch. Use a multiple of {Size}, or another number of " +
                $"ranks.");
        double weights = 0;
        using (var scope = torch.NewDisposeScope())
            foreach (var p in model.parameters())
                weights += p.detach().to(ScalarType.Float64).abs().sum().item<double>() + p.detach()
                    .to(ScalarType.Float64).sum().item<double>();
        // The options and configuration as the records print them (every member), and the data's identity, hashed.
        double identity = Common.StableHash.Fnv1a($"{options}|{model.Config}|{dataIdentity}") % (1UL << 52);
        double[] high = [weights, identity], low = [-weights, -identity];
        world.AllReduceMax(high);
        world.AllReduceMax(low);
        if (high[1] != -low[1])
            throw new InvalidOperationException($"The {Size} ranks were given different training options or data " +
                $"(rank {Rank}'s identity differs): every rank must run the same command on the same corpus.");
        if (high[0] != -low[0])
            throw new InvalidOperationException($"The {Size} ranks start from different weights " +
                $"(checksums {-low[0]:R} … {high[0]:R}): every rank must use the same seed and configuration.");
    }

    /// <summary>Replaces every parameter's gradient by its mean over the ranks: one flat buffer, one
    /// all-reduce.</summary>
    public void AverageGradients(IReadOnlyList<Parameter> parameters)
    {
        var clock = Stopwatch.StartNew();
        using var scope = torch.NewDisposeScope();
        var withGrad = parameters.Where(p => p.grad is not null).ToList();
        var flat = torch.cat(withGrad.Select(p => p.grad!.reshape(-1)).ToList()).contiguous();
        if (fault != Fault.SkipAllReduce)
        {
            world.AllReduceSumFloats(THSTensor_data(flat.Handle), flat.numel());
            if (fault == Fault.Double)
                world.AllReduceSumFloats(THSTensor_data(flat.Handle), flat.numel());   // Size × the sum
            if (fault != Fault.NoDivide)
            {
                using var n = new ScalarArgs();
                flat.div_(n.Of((double)Size));
            }
        }
        long at = 0;
        foreach (var p in withGrad)
        {
            long count = p.grad!.numel();
            p.grad!.copy_(flat.narrow(0, at, count).view(p.grad!.shape));
            at += count;
        }
        AllReduceSeconds += clock.Elapsed.TotalSeconds;
    }

    /// <summary>The mean over ranks of each rank's <paramref name="loss"/> (each over its own rows: the global batch's
    /// mean).</summary>
    public double AverageLoss(double loss)
    {
        double[] v = [loss];
        world.AllReduceSum(v);
        return v[0] / Size;
    }

    /// <summary>After a step: the slowest rank's step time, and whether any rank must stop (cancelled).</summary>
    public (double Seconds, bool Stop) Agree(double seconds, bool stop)
    {
        double[] v = [seconds, stop ? 1 : 0];
        world.AllReduceMax(v);
        return (v[0], v[1] > 0);
    }

    /// <summary>Ends every rank (one could not go on): better than leaving the others in a collective.</summary>
    public void Abort() => world.Abort(1);

    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);
}
