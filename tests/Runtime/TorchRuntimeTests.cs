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
        // Only versions the loaded libstdc++ lacks are weak, whether this process weakened them or an earlier one using
        // the same build output did (this one then loaded the file as it found it).
        string systemLibrary = LoadedLibStdCxx();
        byte[] system = File.ReadAllBytes(systemLibrary);
        needs.Where(n => n.IsWeak).Select(n => n.Version).Should().OnlyContain(v => !Defines(system,
            v), $"{systemLibrary} lacks every weak version");
    }

    static string LoadedLibStdCxx() =>
        File.ReadLines("/proc/self/maps").Select(l => l.Split(' ',
        StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[5]).First(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));

    // A version name a library defines is a NUL-terminated string in its dynamic string table.
    static bool Defines(byte[] library, string version) =>
        library.AsSpan().IndexOf([.. System.Text.Encoding.ASCII.GetBytes(version), (byte)0]) >= 0;
}
