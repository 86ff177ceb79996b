// The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
// range, then raw little-endian data): what PyTorch tools read and write. The reference fixtures use it; so can exports.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>Reads and writes safetensors files (float32, float64, float16, bfloat16 and int64 tensors, string metadata).</summary>
public static class SafeTensors
{
    /// <summary>Refuses headers larger than this (a corrupted length would otherwise ask for gigabytes).</summary>
    const long MaxHeaderBytes = 100L << 20;

    static readonly (string Code, ScalarType Type, int Size)[] Types =
        [("F32", ScalarType.Float32, 4), ("F64", ScalarType.Float64, 8), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8)];

    /// <summary>The element types this reader and writer take.</summary>
    public static IReadOnlyList<ScalarType> SupportedTypes => Types.Select(t => t.Type).ToArray();

    /// <summary>Reads every tensor (on the CPU) and the metadata of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 8) throw new InvalidDataException($"{path} is not a safetensors file: {raw.Length} bytes, fewer than the 8-byte header length.");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(raw);
        if (headerLength <= 0 || headerLength > Math.Min(MaxHeaderBytes, raw.Length - 8))
            throw new InvalidDataException($"{path} is not a safetensors file: its header length {headerLength} does not fit the file's {raw.Length} bytes.");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(raw, 8, (int)headerLength))?.AsObject()
            ?? throw new InvalidDataException($"{path}: the safetensors header is not a JSON object.");
        int dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (key, value) in node!.AsObject()) metadata[key] = value!.GetValue<string>();
                    continue;
                }
                string code = node!["dtype"]!.GetValue<string>();
                var type = Types.FirstOrDefault(t => t.Code == code);
                if (type.Code is null) throw new InvalidDataException($"{path}: tensor '{name}' has dtype {code}; this reader takes {string.Join(", ", Types.Select(t => t.Code))}.");
                long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long[] offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[1] - offsets[0] != count * type.Size
                    || offsets[0] < 0 || dataStart + offsets[1] > raw.Length)
                    throw new InvalidDataException($"{path}: tensor '{name}' claims shape [{string.Join(", ", shape)}] at bytes {string.Join("..", offsets)}, which the file does not hold.");
                var bytes = raw.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian.");
                var t = torch.empty(shape, type.Type);
                tensors[name] = t;
                t.bytes = bytes;
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>Writes <paramref name="tensors"/> (any of <see cref="SupportedTypes"/>; any device) and <paramref name="metadata"/>
    /// to <paramref name="path"/>, tensors in name order.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        var header = new JsonObject();
        if (metadata is { Count: > 0 }) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        var chunks = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var type = Types.FirstOrDefault(t => t.Type == tensor.dtype);
            if (type.Code is null) throw new NotSupportedException($"Tensor '{name}' is {tensor.dtype}; safetensors takes {string.Join(", ", Types.Select(t => t.Type))}.");
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
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        file.Write(length);
        file.Write(text);
        for (int i = text.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var chunk in chunks) file.Write(chunk);
    }
}
