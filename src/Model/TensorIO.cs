// One float32 tensor in binary: rank, dimensions, values. Read back into an existing tensor of the same shape.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Binary form of float32 tensors, shared by saved models and checkpoints.</summary>
public static class TensorIO
{
    public static void Write(BinaryWriter w, Tensor t)
    {
        w.Write((int)t.dim());
        foreach (long d in t.shape) w.Write(d);
        using var cpu = ContiguousCpu(t);
        w.Write(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
    }

    /// <summary>A contiguous CPU tensor holding <paramref name="t"/>'s values, detached from autograd; the caller
    /// disposes it. The intermediate tensors are freed here, on this thread, not left to the finalizer thread (which
    /// could free one while libtorch still reads it).</summary>
    public static Tensor ContiguousCpu(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.detach().cpu().contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Reads a tensor written by <see cref="Write"/> into <paramref name="target"/>; <paramref name="what"/>
    /// names it in errors.</summary>
    /// <exception cref="InvalidDataException">The shapes differ.</exception>
    /// <exception cref="EndOfStreamException">The data is cut short.</exception>
    public static void ReadInto(BinaryReader r, Tensor target, string what)
    {
        int rank = r.ReadInt32();
        if (rank is < 0 or > 8)
            throw new InvalidDataException($"{what} claims {rank} dimensions: the file is damaged.");
        long[] shape = Enumerable.Range(0, rank).Select(_ => r.ReadInt64()).ToArray();
        if (!shape.SequenceEqual(target.shape))
            throw new InvalidDataException($"{what} is saved as [{string.Join(", ", shape)}]; expected " +
                $"[{string.Join(", ", target.shape)}].");
        int n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        byte[] bytes = r.ReadBytes(n * sizeof(float));
        if (bytes.Length != n * sizeof(float)) throw new EndOfStreamException($"{what} is cut short.");
        var floats = MemoryMarshal.Cast<byte, float>(bytes);
        for (int i = 0; i < floats.Length; i++)
            if (!float.IsFinite(floats[i]))
                throw new InvalidDataException($"{what} holds {floats[i]} at element {i:N0}: it was saved from a " +
                    $"diverged run, or the file is damaged.");
        using var values = torch.tensor(floats.ToArray(), shape);
        using var noGrad = torch.no_grad();
        target.copy_(values);
    }
}
