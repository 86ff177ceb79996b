// One token shard on disk, in the layout nanoGPT/llm.c made common: a 1,024-byte header of 256 little-endian int32
// (magic 20240520, version, token count, the rest zero), then the token ids — version 1 as uint16 (vocabularies up to
// 65,536 ids), version 2 as uint32. Read with positional reads (pread) rather than a memory map: pages of a mapped file
// count in the process's resident memory once touched, and random sequences over an epoch touch them all, whereas
// positional reads leave them in the kernel's page cache, where they never count against the process.
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace MLNet.LowRank.Data.Shards;

/// <summary>The on-disk layout of a token shard.</summary>
public static class TokenShardFile
{
    /// <summary>The header's first int32.</summary>
    public const int Magic = 20240520;
    /// <summary>Bytes before the first token.</summary>
    public const int HeaderBytes = 256 * sizeof(int);

    /// <summary>1 for uint16 ids, 2 for uint32 ids.</summary>
    public static int VersionFor(int vocabSize) => vocabSize <= 65_536 ? 1 : 2;

    /// <summary>Bytes per token of a version.</summary>
    public static int TokenBytes(int version) => version == 1 ? 2 : 4;

    /// <summary>The header of a shard of <paramref name="tokens"/> tokens.</summary>
    public static byte[] Header(int version, long tokens)
    {
        if (tokens > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(tokens),
                tokens, "A shard holds at most 2,147,483,647 tokens (an int32 count); write more shards.");
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), (int)tokens);
        return header;
    }

    /// <summary>Reads and checks a shard's header: (version, token count).</summary>
    /// <exception cref="InvalidDataException">Not a token shard, an unknown version, or a size that does not match the
    /// count.</exception>
    public static (int Version, long Tokens) ReadHeader(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"No token shard at '{path}'.", path);
        if (info.Length < HeaderBytes)
            throw new InvalidDataException($"{path} is {info.Length} bytes, shorter than a token " +
                $"shard's {HeaderBytes}-byte header.");
        var header = new byte[12];
        using (var f = File.OpenRead(path)) f.ReadExactly(header);
        int magic = BinaryPrimitives.ReadInt32LittleEndian(header),
            version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        long tokens = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (magic != Magic)
            throw new InvalidDataException($"{path} is not a token shard (magic {magic}, expected {Magic}).");
        if (version is not (1 or 2))
            throw new InvalidDataException($"{path}: token shard version {version}; this library reads 1 (uint16) " +
                $"and 2 (uint32).");
        long expected = HeaderBytes + tokens * TokenBytes(version);
        if (tokens < 0 || info.Length != expected)
            throw new InvalidDataException($"{path}: the header counts {tokens:N0} tokens ({expected:N0} bytes), but " +
                $"the file has {info.Length:N0} bytes: it is truncated or damaged. Tokenize again.");
        return (version, tokens);
    }
}

/// <summary>Read-only access to one shard's tokens by position.</summary>
internal sealed class MappedShard : IDisposable
{
    readonly SafeFileHandle file;
    readonly int version;

    public MappedShard(string path)
    {
        (version, Length) = TokenShardFile.ReadHeader(path);
        Path = path;
        file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
    }

    public string Path { get; }
    public long Length { get; }

    /// <summary>Copies tokens [<paramref name="start"/>, start + destination.Length) into
    /// <paramref name="destination"/>.</summary>
    public void Read(long start, Span<int> destination)
    {
        int size = TokenShardFile.TokenBytes(version);
        long offset = TokenShardFile.HeaderBytes + start * size;
        var bytes = new byte[destination.Length * size];
        for (int done = 0; done < bytes.Length;)
        {
            int n = RandomAccess.Read(file, bytes.AsSpan(done), offset + done);
            if (n == 0)
                throw new EndOfStreamException($"{Path} ended before token {start + destination.Length}; the shard " +
                    $"is truncated.");
            done += n;
        }
        if (version == 1)
            for (int i =
                0; i < destination.Length; i++) destination[i] = BinaryPrimitives
                .ReadUInt16LittleEndian(bytes.AsSpan(2 * i));
        else
            for (int i =
                0; i < destination.Length; i++) destination[i] = checked((int)BinaryPrimitives
                .ReadUInt32LittleEndian(bytes.AsSpan(4 * i)));
    }

    public void Dispose() => file.Dispose();
}
