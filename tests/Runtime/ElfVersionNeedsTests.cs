using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Tests.Runtime;

public class ElfVersionNeedsTests
{
    static readonly string Library =
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>Skips off Linux (only Linux builds carry the .so); on Linux the library must be there, or the test
    /// fails.</summary>
    static void RequireLibrary()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "only Linux builds carry libLibTorchSharp.so");
        File.Exists(Library).Should().BeTrue($"a Linux build copies TorchSharp's native library to {Library}");
    }

    [SkippableFact]
    public void Reads_the_libstdcxx_needs_of_the_torchsharp_library()
    {
        RequireLibrary();
        var needs = ElfVersionNeeds.Read(File.ReadAllBytes(Library));
        needs.Should().Contain(n => n.Library == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32");
        needs.Should().Contain(n => n.Library == "libc.so.6" && n.Version == "GLIBC_2.2.5");
    }

    [SkippableFact]
    public void Marking_a_version_weak_changes_only_its_flag()
    {
        RequireLibrary();
        byte[] original = File.ReadAllBytes(Library);
        byte[] patched = (byte[])original.Clone();
        const string version = "GLIBCXX_3.4.30";
        ElfVersionNeeds.Read(original).Single(n => n.Version == version).IsWeak.Should().BeFalse();

        ElfVersionNeeds.MarkWeak(patched, [version]).Should().Be(1);
        ElfVersionNeeds.MarkWeak(patched, [version]).Should().Be(0, "an entry already weak is left alone");

        var after = ElfVersionNeeds.Read(patched);
        after.Single(n => n.Version == version).IsWeak.Should().BeTrue();
        var before = ElfVersionNeeds.Read(original);
        after.Where(n => n.Version != version).Select(n =>
            n.IsWeak).Should().Equal(before.Where(n => n.Version != version).Select(n => n.IsWeak));
        original.Zip(patched).Count(p => p.First != p.Second).Should().Be(1, "only the flags byte changes");
    }

    [Fact]
    public void Rejects_a_file_that_is_not_elf() =>
        FluentActions.Invoking(() =>
        ElfVersionNeeds.Read("not an elf file at all, just text padding it out past 64 bytes......"u8.ToArray()))
            .Should().Throw<InvalidDataException>().WithMessage("*Not an ELF*");

    [SkippableFact]
    public void Rejects_a_truncated_file()
    {
        RequireLibrary();
        byte[] head = File.ReadAllBytes(Library)[..4096];
        FluentActions.Invoking(() =>
            ElfVersionNeeds.Read(head)).Should().Throw<InvalidDataException>().WithMessage("*outside the file*");
    }
}
