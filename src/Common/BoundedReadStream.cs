// A read-only view of a stream that refuses to yield more than a set number of bytes: what a zip entry is opened
// through, so its inflated size is counted as it is read rather than trusted from the entry's declared length (a small
// zip can declare little and inflate to gigabytes).
namespace MLNet.LowRank.Common;

/// <summary>Reads at most <c>limit</c> bytes from an inner stream; reading past them throws
/// <see cref="InvalidDataException"/>.</summary>
public sealed class BoundedReadStream(Stream inner, long limit, string what) : Stream
{
    long read;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        read += n;
        if (read > limit)
            throw new InvalidDataException($"{what} inflates past {limit:N0} bytes, more than it declares or may " +
                $"hold: the file is damaged or built to exhaust memory.");
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
