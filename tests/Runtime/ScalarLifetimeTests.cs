using System.Reflection;
using System.Runtime.CompilerServices;
using MLNet.LowRank.Model;
using MLNet.LowRank.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Runtime;

/// <summary>Numbers reach libtorch as Scalars that stay alive through the call (Runtime/ScalarArgs.cs): an implicitly
/// converted Scalar can be finalized while libtorch reads it, which failed a CI run of this suite.</summary>
public class ScalarLifetimeTests
{
    public static TheoryData<string> Assemblies => new()
    {
        typeof(Gpt).Assembly.GetName().Name!, // the library
        "lowrank",                            // the command-line tool
        "Study",                              // the study (examples/Study)
        "MLNet.LowRank.Tests",                // these tests, which run many threads at once (all but ConvertsImplicitly)
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_number_becomes_a_Scalar_that_nothing_holds(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var offenders = IlCalls.In(assembly)
            .Where(c => c.Callee.DeclaringType?.Namespace?.StartsWith("TorchSharp") == true && Unheld(c.Callee))
            .Where(c => c.Caller.Name != nameof(ConvertsImplicitly))
            .Select(c => $"{c.Caller.DeclaringType?.FullName}.{c.Caller.Name} calls {c.Callee.DeclaringType!.Name}.{c.Callee.Name}" +
                         $"({string.Join(", ", c.Callee.GetParameters().Select(p => p.ParameterType.Name))})")
            .Distinct()
            .ToList();
        offenders.Should()
            .BeEmpty("a number passed to libtorch must be a Scalar from a ScalarArgs (n.Of(x)) held until the call " +
            "returns");
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_TorchSharp_method_called_makes_an_unheld_Scalar_inside_it(string assemblyName)
    {
        // TorchSharp's own conveniences convert too: Tensor.square() is pow(2), whose Scalar was finalized while
        // libtorch read it ("INTERNAL ASSERT FAILED … Scalar.h:279" in pow_Tensor_Scalar, a version-4 study trial,
        // 2026-12-07). So every TorchSharp method the assembly calls is read one level down as well.
        var assembly = Assembly.Load(assemblyName);
        var offenders = IlCalls.In(assembly)
            .Where(c => c.Caller.Name != nameof(ConvertsImplicitly)
            && c.Caller.Name != nameof(ConvertsInsideTorchSharp))
            .Select(c => c.Callee)
            .Where(callee => callee.DeclaringType?.Namespace?.StartsWith("TorchSharp") == true)
            .Distinct()
            .Where(callee => IlCalls.CalleesOf(callee).Any(inner => Unheld(inner)))
            .Select(callee => $"{callee.DeclaringType!.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})")
            .ToList();
        offenders.Should()
            .BeEmpty("a TorchSharp method that turns a number into a Scalar inside it leaves that Scalar unheld: " +
            "call the tensor form instead (x * x for square)");
    }

    [Fact]
    public void The_one_level_down_reader_finds_square()
    {
        var square = IlCalls.In(typeof(ScalarLifetimeTests).Assembly)
            .Where(c => c.Caller.Name == nameof(ConvertsInsideTorchSharp)
            && c.Callee.Name == "square").Select(c => c.Callee).First();
        IlCalls.CalleesOf(square).Should().Contain(inner =>
            Unheld(inner), "TorchSharp's square() is pow(2), an implicit Scalar");
    }

    static Tensor ConvertsInsideTorchSharp(Tensor t) => t.square();

    // Number → Scalar conversions, tensor operators taking a number (TorchSharp converts inside without holding it),
    // and Scalar → Tensor, which TorchSharp defines only to throw (an overload picked by accident when a Scalar
    // replaced a number).
    static bool Unheld(MethodBase callee) =>
        callee is MethodInfo { Name: "op_Implicit" } m && m.ReturnType == typeof(Scalar) ||
        callee is MethodInfo { Name: "op_Implicit" } s && s.GetParameters()[0].ParameterType == typeof(Scalar) ||
        callee.Name.StartsWith("op_") && callee.Name != "op_Implicit" &&
        callee.GetParameters().Any(p => p.ParameterType.IsPrimitive);

    [Fact]
    public void The_reader_finds_an_implicit_conversion_where_there_is_one()
    {
        // The check above would pass on any assembly if the reader saw no calls; this method converts on purpose.
        var here = IlCalls.In(typeof(ScalarLifetimeTests).Assembly)
            .Where(c => c.Caller.Name == nameof(ConvertsImplicitly) && Unheld(c.Callee))
            .Select(c => c.Callee.Name).ToList();
        here.Should().Contain("op_Implicit").And.Contain("op_Multiply");
    }

    static Tensor ConvertsImplicitly(Tensor t) => t.mul(2.0) * 3.0;

    [Fact]
    public void A_held_Scalar_survives_a_collection_and_an_unheld_one_does_not()
    {
        TorchRuntime.EnsureInitialized();
        using var args = new ScalarArgs();
        var held = MakeWeak(() => args.Of(2.5));
        var unheld = MakeWeak(() => 2.5.ToScalar());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        unheld.IsAlive.Should()
            .BeFalse("nothing references a bare Scalar once its handle has been read: this is the hazard");
        held.IsAlive.Should().BeTrue("ScalarArgs keeps what it made until it is disposed");
        using var x = ones(3);
        using var y = x.mul((Scalar)held.Target!);
        y.sum().item<float>().Should().Be(7.5f);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference MakeWeak(Func<Scalar> make) => new(make());
}
