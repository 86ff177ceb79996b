// The one way the library opens a file a user named (a corpus file, a model zip, a shard manifest, a tiktoken ranks
// file): it must be a regular file — a FIFO would block the open until a writer came, /dev/zero would read until memory
// ran out — and no larger than what its kind can sensibly be, checked before a byte is read, and read with that bound
// again (a file that grows while read is cut off with an error, never followed into memory).
using System.Runtime.InteropServices;
using System.Text;

namespace MLNet.LowRank.Common;

/// <summary>Bounded, regular-file-checked reads of user-named files.</summary>
public static class UserFile
{
    /// <summary>Throws unless <paramref name="path"/> is an existing regular file of at most
    /// <paramref name="maxBytes"/> bytes; <paramref name="what"/> names it in the message ("model file", "tiktoken
    /// file", …). Returns its length.</summary>
    public static long Check(string path, long maxBytes, string what, string? fix = null)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"The {what} '{path}' is a folder; give a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"No {what} at '{path}'.", path);
        if (Kind(path) is string special)
            throw new InvalidDataException($"The {what} '{path}' is a {special}, not a regular file: it would be " +
                $"read without end or block until written. Give a file.");
        long length = new FileInfo(path).Length;
        if (length > maxBytes)
            throw new InvalidDataException($"The {what} '{path}' is {length:N0} bytes, more than " +
                $"the {maxBytes:N0} a {what} may be; {fix ?? "it is not one this library wrote or can read"}.");
        return length;
    }

    /// <summary>The whole file, checked as <see cref="Check"/> says and read with the same bound.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what, string? fix = null)
    {
        Check(path, maxBytes, what, fix);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.SequentialScan);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + n > maxBytes)
                throw new InvalidDataException($"The {what} '{path}' grew past {maxBytes:N0} bytes while it was " +
                    $"read; it is refused.");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>The whole file as UTF-8 text (a byte-order mark is skipped), bounded as
    /// <see cref="ReadAllBytes"/>.</summary>
    public static string ReadAllText(string path, long maxBytes, string what)
    {
        var bytes = ReadAllBytes(path, maxBytes, what);
        int start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    /// <summary>A read stream over a regular file, after <see cref="Check"/>.</summary>
    public static FileStream OpenRead(string path, long maxBytes, string what)
    {
        Check(path, maxBytes, what);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>"FIFO", "character device", "block device" or "socket" for a special file on Linux, null for a regular
    /// file (or where the type cannot be asked: other systems, where .NET's own open still applies).</summary>
    static string? Kind(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // statx's struct is the same on every Linux architecture: stx_mode is the u16 at byte 28.
        var buffer = new byte[256];
        try
        {
            if (Statx(-100 /* AT_FDCWD */, path, 0, 0x1 /* STATX_TYPE */, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }   // a libc without statx (glibc < 2.28)
        int type = BitConverter.ToUInt16(buffer, 28) & 0xF000;
        return type switch
        {
            0x8000 => null,             // regular
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => null,
        };
    }

    [DllImport("libc", EntryPoint = "statx")]
    static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        byte[] buffer);
}
