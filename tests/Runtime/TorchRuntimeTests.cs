using MLNet.LowRank.Runtime;
using TorchSharp;

namespace MLNet.LowRank.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Torch_initialises_and_multiplies_matrices()
    {
        TorchRuntime.EnsureInitialized();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, 2, 2);
        using var c = torch.matmul(a, b);
        c.data<float>().ToArray().Should().Equal(19f, 22f, 43f, 50f);
    }

    [SkippableFact]
    public void The_loaded_library_needs_no_libstdcxx_version_the_system_lacks()
    {
        TorchRuntime.EnsureInitialized();
        string lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(OperatingSystem.IsLinux(), "the libstdc++ version repair is Linux-only");
        File.Exists(lib).Should().BeTrue($"a Linux build copies TorchSharp's native library to {lib}");
        var needs = ElfVersionNeeds.Read(File.ReadAllBytes(lib));
        needs.Should().Contain(n => n.Library == "libstdc++.so.6");
        // Whatever the loader reported missing is now weak; nothing else was touched.
        needs.Where(n => n.IsWeak).Select(n => n.Version).Should().OnlyContain(v => TorchRuntime.LoadReport.Contains(v));
    }
}
