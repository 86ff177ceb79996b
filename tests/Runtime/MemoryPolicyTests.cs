using System.Runtime.InteropServices;
using MLNet.LowRank.Runtime;
using TorchSharp;

namespace MLNet.LowRank.Tests.Runtime;

/// <summary>The malloc threshold this library gives libtorch (Runtime/MemoryPolicy.cs): tensors come from malloc's
/// heap, not from a fresh mapping each, and a threshold the user set is kept. Serial: mallinfo2 counts the whole
/// process, so no other test may allocate or free beside the reading.</summary>
[Collection(SerialCollection.Name)]
public class MemoryPolicyTests
{
    [SkippableFact]
    public void A_tensor_of_tens_of_megabytes_comes_from_the_heap_not_from_a_mapping_of_its_own()
    {
        TorchRuntime.EnsureInitialized();
        Skip.IfNot(OperatingSystem.IsLinux(), "mallopt and mallinfo2 are glibc's");
        MemoryPolicy.Applied.Should().BeTrue(MemoryPolicy.Report);
        // mallinfo2's hblkhd is what malloc holds in blocks it mapped one by one (process-wide). Under glibc's default
        // a 16 MiB tensor is such a block; with the policy it comes from an arena's heap, so hblkhd does not grow by
        // it.
        const long bytes = 16L << 20;
        long before = (long)MallInfo2().hblkhd;
        using var tensor = torch.empty(bytes / sizeof(float));
        using (var n = new ScalarArgs()) tensor.fill_(n.Of(1.0));
        long during = (long)MallInfo2().hblkhd;
        (during - before).Should().BeLessThan(bytes, $"malloc {MemoryPolicy.Report}");
    }

    [Fact]
    public void A_threshold_the_user_set_is_kept_the_opt_out_is_honoured_and_the_choice_is_reported()
    {
        var clean = new Dictionary<string, string?>
        {
            ["MALLOC_MMAP_THRESHOLD_"] = null,
            ["GLIBC_TUNABLES"] = null,
            [MemoryPolicy.OptOutVariable] = null,
        };
        ThreadPolicyTests.Peak(clean).Should().Contain("malloc: mmap threshold 1024 MiB");
        ThreadPolicyTests.Peak(new(clean) { ["MALLOC_MMAP_THRESHOLD_"] = "131072" }).Should()
            .Contain("kept the user's MALLOC_MMAP_THRESHOLD_=131072");
        ThreadPolicyTests.Peak(new(clean) { ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=65536" })
            .Should().Contain("kept the user's GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536");
        ThreadPolicyTests.Peak(new(clean) { [MemoryPolicy.OptOutVariable] = "default" }).Should()
            .Contain("malloc: glibc's default (LOWRANK_MALLOC=default)");
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Mallinfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern Mallinfo2 MallInfo2();
}
