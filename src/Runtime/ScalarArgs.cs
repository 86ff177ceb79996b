// Numbers handed to libtorch as Scalars, held until the caller is done with them.
//
// Why this exists: TorchSharp (0.107) converts a C# number to a native Scalar implicitly (`t * 0.5`, `t.mul_(0.9)`,
// `t.add_(u, alpha: 2)`) and never disposes it. The Scalar is unreachable as soon as its handle has been read, so a
// garbage collection on another thread can run its finalizer — which frees the native Scalar — while libtorch is still
// reading it. Seen in this project's CI: "Expected false to be true … Scalar.h:140" from Scalar::toDouble in the middle
// of a model's initialisation, while other tests ran in parallel; a reused allocation can as easily give a wrong number
// without any error. Holding every Scalar in a ScalarArgs until its Dispose keeps each alive through the call that
// reads it. The library passes every number that reaches libtorch as a Scalar through one of these; a test reads the
// library's IL and fails on any implicit conversion or number-operand tensor operator.
using TorchSharp;

namespace MLNet.LowRank.Runtime;

/// <summary>Scalars made from numbers and kept alive until <see cref="Dispose"/> (use with <c>using</c> around the
/// tensor calls that read them).</summary>
public sealed class ScalarArgs : IDisposable
{
    readonly List<Scalar> held = new();

    /// <summary>A float64 Scalar holding <paramref name="value"/>, alive until this object is disposed.</summary>
    public Scalar Of(double value) => Hold(value.ToScalar());

    /// <summary>An int64 Scalar holding <paramref name="value"/>, alive until this object is disposed.</summary>
    public Scalar Of(long value) => Hold(value.ToScalar());

    Scalar Hold(Scalar scalar)
    {
        held.Add(scalar);
        return scalar;
    }

    /// <summary>Frees every Scalar made here.</summary>
    public void Dispose()
    {
        foreach (var s in held) s.Dispose();
        held.Clear();
    }
}
