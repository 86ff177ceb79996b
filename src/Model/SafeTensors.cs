// The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
// range, then raw little-endian data): what PyTorch tools read and write. The reference fixtures use it; so can
// exports.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Reads and writes safetensors files (float32, float64, float16, bfloat16 and int64 tensors, string
/// metadata).</summary>
public static class SafeTensors
{
    /// <summary>Refuses headers larger than this (a corrupted length would otherwise ask for gigabytes).</summary>
    const long MaxHeaderBytes = 100L << 20;

    static readonly (string Code, ScalarType Type, int Size)[] Types =
        [("F32", ScalarType.Float32, 4), ("F64", ScalarType.Float64, 8), ("F16", ScalarType.Float16, 2), ("BF16",
        ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8)];

    /// <summary>The element types this reader and writer take.</summary>
    public static IReadOnlyList<ScalarType> SupportedTypes => Types.Select(t => t.Type).ToArray();

    /// <summary>Reads every tensor (on the CPU) and the metadata of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 8)
            throw new InvalidDataException($"{path} is not a safetensors file: {raw.Length} bytes, fewer than the " +
                $"8-byte header length.");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(raw);
        if (headerLength <= 0 || headerLength > Math.Min(MaxHeaderBytes, raw.Length - 8))
            throw new InvalidDataException($"{path} is not a safetensors file: its header length {headerLength} does " +
                $"not fit the file's {raw.Length} bytes.");
        JsonObject header;
        try
        {
            // A name given twice (a tensor, or a tensor's field) is refused by the parser, not left to whichever copy
            // wins.
            header = JsonNode.Parse(Encoding.UTF8.GetString(raw, 8, (int)headerLength),
                documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })?.AsObject()
                ?? throw new InvalidDataException($"{path}: the safetensors header is not a JSON object.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{path}: the safetensors header is not valid JSON ({e.Message}).", e); }
        int dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        var ranges = new List<(long Start, long End, string Name)>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    if (node is not JsonObject entries)
                        throw new InvalidDataException($"{path}: __metadata__ is not an object of strings.");
                    foreach (var (key, value) in entries) metadata[key] = Text(value, path, $"__metadata__.{key}");
                    continue;
                }
                if (node is not JsonObject entry)
                    throw new InvalidDataException($"{path}: tensor '{name}' is not described by an object with " +
                        $"dtype, shape and data_offsets.");
                string code = Text(entry["dtype"], path, $"tensor '{name}': dtype");
                var type = Types.FirstOrDefault(t => t.Code == code);
                if (type.Code is null)
                    throw new InvalidDataException($"{path}: tensor '{name}' has dtype {code}; this reader " +
                        $"takes {string.Join(", ", Types.Select(t => t.Code))}.");
                long[] shape = Integers(entry["shape"], path, $"tensor '{name}': shape");
                long[] offsets = Integers(entry["data_offsets"], path, $"tensor '{name}': data_offsets");
                // The element count in checked arithmetic: a forged shape whose product overflows must not wrap around
                // to a size that happens to match its byte range (libtorch would then fail computing the storage size).
                long bytesClaimed;
                try { bytesClaimed = checked(shape.Aggregate(1L,
                    (a, b) => b < 0 ? throw new OverflowException() : a * b) * type.Size); }
                catch (OverflowException) { throw new InvalidDataException($"{path}: tensor '{name}' claims shape " +
                    $"[{string.Join(", ", shape)}], whose size does not fit in 64 bits or has a negative dimension."); }
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]
                    || offsets[1] - offsets[0] != bytesClaimed || offsets[1] > raw.Length - dataStart)
                    throw new InvalidDataException($"{path}: tensor '{name}' claims shape " +
                        $"[{string.Join(", ", shape)}] at bytes {string.Join("..", offsets)}, which the file does " +
                        $"not hold.");
                ranges.Add((offsets[0], offsets[1], name));
                var bytes = raw.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
                if (!BitConverter.IsLittleEndian)
                    throw new PlatformNotSupportedException("safetensors data is little-endian.");
                var t = torch.empty(shape, type.Type);
                tensors[name] = t;
                t.bytes = bytes;
            }
            // As the format's own reader requires: the tensors' byte ranges tile the data section, with no overlap (two
            // tensors sharing bytes) and no hole.
            long at = 0;
            foreach (var (start, end, name) in ranges.OrderBy(r => r.Start).ThenBy(r => r.End))
            {
                if (start < at)
                    throw new InvalidDataException($"{path}: tensor '{name}' (bytes {start}..{end}) overlaps another " +
                        $"tensor's bytes; every tensor must have its own range.");
                if (start > at)
                    throw new InvalidDataException($"{path}: bytes {at}..{start} of the data belong to no tensor; " +
                        $"the format requires the ranges to cover the data without holes.");
                at = end;
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    static string Text(JsonNode? node, string path, string what) =>
        node is JsonValue v && v.TryGetValue(out string? text) ? text
            : throw new InvalidDataException($"{path}: {what} is {(node is null ? "missing" : "not a string")}.");

    static long[] Integers(JsonNode? node, string path, string what)
    {
        if (node is not JsonArray array)
            throw new InvalidDataException($"{path}: {what} is {(node is null ? "missing" : "not an array")}.");
        return array.Select(d => d is JsonValue v && v.TryGetValue(out long x) ? x
            : throw new InvalidDataException($"{path}: {what} holds {d?.ToJsonString() ?? "null"}, not an integer."))
            .ToArray();
    }

    /// <summary>Writes <paramref name="tensors"/> (any of <see cref="SupportedTypes"/>; any device) and
    /// <paramref name="metadata"/> to <paramref name="path"/>, tensors in name order.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key,
                (JsonNode?)kv.Value)));
        var chunks = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var type = Types.FirstOrDefault(t => t.Type == tensor.dtype);
            if (type.Code is null)
                throw new NotSupportedException($"Tensor '{name}' is {tensor.dtype}; safetensors " +
                    $"takes {string.Join(", ", Types.Select(t => t.Type))}.");
            using var cpu = TensorIO.ContiguousCpu(tensor);
            byte[] data = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = type.Code,
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + data.Length),
            };
            chunks.Add(data);
            offset += data.Length;
        }
        byte[] text = Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        int padded = (text.Length + 7) / 8 * 8;   // the format pads the header with spaces to a multiple of 8
        // Through a temporary file and a rename: a kill mid-write leaves the previous file, never half of a new one.
        Common.AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, padded);
            file.Write(length);
            file.Write(text);
            for (int i = text.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var chunk in chunks) file.Write(chunk);
        });
    }
}
