// Reads and edits the version-needs table (.gnu.version_r) of a 64-bit little-endian ELF shared library.
// Used to make TorchSharp's native library load where the system libstdc++ is older than the one it was linked
// against: marking a version need weak (VER_FLG_WEAK) lets the dynamic loader accept a library that lacks it.
using System.Buffers.Binary;
using System.Text;

namespace MLNet.LowRank.Runtime;

/// <summary>One entry of an ELF version-needs table: a symbol version required from a library.</summary>
/// <param name="Library">The needed library's file name, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="IsWeak">Whether the entry carries <c>VER_FLG_WEAK</c>.</param>
/// <param name="FlagsOffset">File offset of the entry's 16-bit flags field.</param>
public sealed record ElfVersionNeed(string Library, string Version, bool IsWeak, long FlagsOffset);

/// <summary>Parses an ELF file's version needs and marks chosen ones weak.</summary>
public static class ElfVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    /// <summary>Every version need of the ELF image in <paramref name="elf"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a 64-bit little-endian ELF image.</exception>
    public static IReadOnlyList<ElfVersionNeed> Read(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3a), shnum = U16(elf, 0x3c);
        var needs = new List<ElfVersionNeed>();
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)U64(elf, sh + 0x18);
            int link = (int)U32(elf, sh + 0x28);
            long strtab = (long)U64(elf, shoff + (long)link * shentsize + 0x18);

            long vn = offset;
            while (true)
            {
                int count = U16(elf, vn + 2);
                string file = CString(elf, strtab + U32(elf, vn + 4));
                long aux = vn + U32(elf, vn + 8);
                for (int a = 0; a < count; a++)
                {
                    ushort flags = U16(elf, aux + 4);
                    string name = CString(elf, strtab + U32(elf, aux + 8));
                    needs.Add(new ElfVersionNeed(file, name, (flags & VerFlagWeak) != 0, aux + 4));
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        return needs;
    }

    /// <summary>Marks the named versions weak in <paramref name="elf"/> (in place); returns how many entries
    /// changed.</summary>
    public static int MarkWeak(Span<byte> elf, IReadOnlyCollection<string> versions)
    {
        int changed = 0;
        foreach (var need in Read(elf))
        {
            if (need.IsWeak || !versions.Contains(need.Version)) continue;
            var field = elf.Slice((int)need.FlagsOffset, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(field,
                (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(field) | VerFlagWeak));
            changed++;
        }
        return changed;
    }

    static ushort U16(ReadOnlySpan<byte> b,
        long at) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(Checked(b, at, 2), 2));
    static uint U32(ReadOnlySpan<byte> b,
        long at) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(Checked(b, at, 4), 4));
    static ulong U64(ReadOnlySpan<byte> b,
        long at) => BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(Checked(b, at, 8), 8));

    static int Checked(ReadOnlySpan<byte> b, long at, int size) =>
        at >= 0 && at + size <= b.Length ? (int)at
        : throw new InvalidDataException($"ELF structure points outside the file (offset {at}).");

    static string CString(ReadOnlySpan<byte> b, long at)
    {
        int start = Checked(b, at, 1);
        int end = b[start..].IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException("Unterminated string in ELF string table.");
        return Encoding.ASCII.GetString(b.Slice(start, end));
    }
}
