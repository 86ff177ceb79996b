// TensorBoard event files, for watching curves while runs go on: the record format TensorBoard reads (little-endian
// length, its masked CRC-32C, a serialized Event, its masked CRC-32C) holding TorchSharp's own generated Event and
// Summary protobuf types. Not TorchSharp's SummaryWriter itself: in TorchSharp 0.107 it stamps every scalar with wall
// time 0 (a float parameter defaulting to 0, not null) and the file header with .NET ticks rather than Unix seconds, so
// TensorBoard's relative-time axis is meaningless; and it reopens the file for every value. This writer keeps the file
// open, stamps Unix seconds as a double, and flushes after each step, so a running job is always readable.
using System.Text;
using Google.Protobuf;
using Tensorboard;

namespace MLNet.LowRank.Training;

/// <summary>Writes one TensorBoard run (a directory with an events file).</summary>
public sealed class TensorBoardWriter : IDisposable
{
    readonly FileStream file;

    /// <summary>Starts a new events file in <paramref name="directory"/> (created if missing).</summary>
    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        double now = UnixSeconds();
        FilePath = Path
            .Combine(directory, $"events.out.tfevents.{(long)now}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        file = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new Event { WallTime = now, FileVersion = "brain.Event:2" });
    }

    /// <summary>The events file.</summary>
    public string FilePath { get; }

    /// <summary>Adds a scalar at <paramref name="step"/>.</summary>
    public void Scalar(string tag, double value, long step)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        Write(new Event { WallTime = UnixSeconds(), Step = step, Summary = summary });
    }

    /// <summary>Adds Markdown text (TensorBoard's Text tab) at <paramref name="step"/>.</summary>
    public void Text(string tag, string markdown, long step = 0) =>
        Write(new Event { WallTime = UnixSeconds(), Step = step,
        Summary = TorchSharp.torch.utils.tensorboard.Summary.text(tag, markdown) });

    /// <summary>The scalars of one training step: loss, learning-rate factor, gradient norm, tokens/s, and the
    /// validation figures when the step evaluated.</summary>
    public void Step(StepRecord r)
    {
        Scalar("train/loss", r.TrainLoss, r.Step);
        Scalar("train/lr_factor", r.LrFactor, r.Step);
        Scalar("train/grad_norm", r.GradientNorm, r.Step);
        Scalar("train/tokens_per_second", r.TokensPerSecond, r.Step);
        if (r.ValidationLoss is double loss)
        {
            Scalar("validation/loss", loss, r.Step);
            if (r.ValidationPerplexity is double ppl) Scalar("validation/perplexity", ppl, r.Step);
            if (r.ValidationBitsPerByte is double bpb) Scalar("validation/bits_per_byte", bpb, r.Step);
        }
        file.Flush();
    }

    /// <summary>A Markdown table of <paramref name="values"/> (for hyper-parameters).</summary>
    public static string Table(IEnumerable<KeyValuePair<string, string>> values)
    {
        var sb = new StringBuilder("| option | value |\n|---|---|\n");
        foreach (var (k, v) in values) sb.Append("| ").Append(k).Append(" | ").Append(v).Append(" |\n");
        return sb.ToString();
    }

    void Write(Event e)
    {
        byte[] data = e.ToByteArray();
        Span<byte> header = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(header));
        file.Write(header);
        file.Write(crc);
        file.Write(data);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(data));
        file.Write(crc);
    }

    static double UnixSeconds() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    public void Dispose()
    {
        file.Flush();
        file.Dispose();
    }
}

/// <summary>CRC-32C (Castagnoli), as TFRecord and TensorBoard files checksum their records.</summary>
public static class Crc32C
{
    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    /// <summary>The masked form records store: rotate right by 15 bits, add 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint c = Compute(data);
        return ((c >> 15) | (c << 17)) + 0xa282ead8u;
    }
}
