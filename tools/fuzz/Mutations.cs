// The mutation operators: over raw bytes with known field boundaries (truncation at each, bit flips, size and count
// fields set to 0, −1, 2³¹−1, 2⁶³−1, regions zeroed or duplicated), over JSON (a value replaced by a hostile one, a key
// dropped or duplicated), and over zip archives (an entry's content mutated and the archive rebuilt so its checksums
// pass, or the archive's own size fields forged). Every choice comes from the case's Random, so a case replays exactly.
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace MLNet.LowRank.Fuzz;

static class Mutations
{
    static readonly long[] HostileIntegers = [0, -1, 1, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue,
        long.MinValue, 1L << 40];

    /// <summary>One byte-level mutation of <paramref name="data"/>; <paramref name="boundaries"/> are offsets where a
    /// field starts (a length prefix, a count, a section). Returns the mutated copy and what was done.</summary>
    public static (byte[] Data, string What) Bytes(Random rng, byte[] data, IReadOnlyList<int> boundaries)
    {
        int At() => boundaries.Count > 0 && rng.Next(4) > 0 ? boundaries[rng.Next(boundaries.Count)]
            : rng.Next(Math.Max(1, data.Length));
        switch (rng.Next(6))
        {
            case 0:
            {
                int cut = Math.Min(At(), data.Length - 1);
                return (data[..Math.Max(0, cut)], $"truncated at byte {cut} of {data.Length}");
            }
            case 1:
            {
                var copy = (byte[])data.Clone();
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips
                    && copy.Length > 0; i++) copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
                return (copy, $"{flips} bit(s) flipped");
            }
            case 2:
            {
                var copy = (byte[])data.Clone();
                int at = Math.Min(At(), Math.Max(0, copy.Length - 8));
                long value = HostileIntegers[rng.Next(HostileIntegers.Length)];
                bool wide = rng.Next(2) == 0;
                var bytes = wide ? BitConverter.GetBytes(value) : BitConverter.GetBytes(unchecked((int)value));
                Array.Copy(bytes, 0, copy, at, Math.Min(bytes.Length, copy.Length - at));
                return (copy, $"{(wide ? "int64" : "int32")} {value} written at byte {at}");
            }
            case 3:
            {
                // A 7-bit-encoded length prefix (BinaryWriter strings) made huge.
                var copy = (byte[])data.Clone();
                int at = Math.Min(At(), Math.Max(0, copy.Length - 5));
                byte[] huge = [0xFF, 0xFF, 0xFF, 0xFF, 0x07];
                Array.Copy(huge, 0, copy, at, Math.Min(5, copy.Length - at));
                return (copy, $"7-bit length 2^31-1 written at byte {at}");
            }
            case 4:
            {
                var copy = (byte[])data.Clone();
                int at = At(), length = Math.Min(1 + rng.Next(64), Math.Max(0, copy.Length - at));
                Array.Clear(copy, Math.Min(at, copy.Length), length);
                return (copy, $"{length} byte(s) zeroed at {at}");
            }
            default:
            {
                int at = Math.Min(At(), data.Length), length = Math.Min(1 + rng.Next(256), data.Length - at);
                var copy = new byte[data.Length + length];
                Array.Copy(data, 0, copy, 0, at + length);
                Array.Copy(data, at, copy, at + length, data.Length - at);
                return (copy, $"{length} byte(s) at {at} duplicated");
            }
        }
    }

    static readonly Func<JsonNode?>[] HostileValues =
    [
        () => 0, () => -1, () => int.MaxValue, () => long.MaxValue, () => 1e308, () => -1e308, () => 0.5, () => null,
            () => "",
        () => new string('x', 100_000), () => "NaN", () => "../../etc/passwd", () => new JsonArray(),
            () => new JsonObject(), () => true,
        () => new JsonArray(Enumerable.Range(0, 1000).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
    ];

    /// <summary>One JSON-aware mutation: a value anywhere in the document replaced by a hostile one, a key removed or
    /// written twice, or the text cut short; falls back to bytes when the text is not JSON.</summary>
    public static (string Text, string What) Json(Random rng, string text)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { root = null; }
        if (root is null || rng.Next(8) == 0)
        {
            int cut = rng.Next(Math.Max(1, text.Length));
            return (text[..cut], $"text cut at character {cut} of {text.Length}");
        }
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? n)
        {
            if (n is null) return;
            nodes.Add(n);
            if (n is JsonObject o) foreach (var kv in o) Walk(kv.Value);
            else if (n is JsonArray a) foreach (var x in a) Walk(x);
        }
        Walk(root);
        var target = nodes[rng.Next(nodes.Count)];
        switch (rng.Next(3))
        {
            case 0 when target.Parent is not null:
            {
                var value = HostileValues[rng.Next(HostileValues.Length)]();
                string where = target.GetPath();
                Replace(target, value);
                return (root.ToJsonString(), $"{where} := {Describe(value)}");
            }
            case 1 when target is JsonObject o && o.Count > 0:
            {
                string key = o.ElementAt(rng.Next(o.Count)).Key;
                o.Remove(key);
                return (root.ToJsonString(), $"{o.GetPath()}.{key} removed");
            }
            case 2 when target is JsonObject o && o.Count > 0:
            {
                // A duplicate key is not expressible in a JsonObject: write it into the text.
                var (key, value) = o.ElementAt(rng.Next(o.Count));
                string json = root.ToJsonString(), entry = $"\"{key}\":";
                int at = json.IndexOf(entry, StringComparison.Ordinal);
                if (at < 0) break;
                string duplicate = $"\"{key}\":{Describe(HostileValues[rng.Next(HostileValues.Length)]())},";
                return (json.Insert(at, duplicate), $"key \"{key}\" written twice");
            }
        }
        int cutAt = rng.Next(Math.Max(1, text.Length));
        return (text[..cutAt], $"text cut at character {cutAt} of {text.Length}");
    }

    static void Replace(JsonNode target, JsonNode? value)
    {
        switch (target.Parent)
        {
            case JsonObject o: o[target.GetPropertyName()] = value; break;
            case JsonArray a: a[target.GetElementIndex()] = value; break;
        }
    }

    static string Describe(JsonNode? v) => v is null ? "null" : v.ToJsonString() is { Length: > 40 } s
        ? s[..40] + "…" : v.ToJsonString();

    /// <summary>The entries of a zip archive, in order.</summary>
    public static List<(string Name, byte[] Data)> ReadZip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var s = e.Open();
            var m = new MemoryStream();
            s.CopyTo(m);
            return (e.FullName, m.ToArray());
        }).ToList();
    }

    /// <summary>A well-formed archive of <paramref name="entries"/> (checksums and sizes consistent with the
    /// content).</summary>
    public static byte[] WriteZip(IEnumerable<(string Name, byte[] Data)> entries, bool store = false)
    {
        var m = new MemoryStream();
        using (var archive = new ZipArchive(m, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = archive.CreateEntry(name,
                    store ? CompressionLevel.NoCompression : CompressionLevel.Fastest).Open();
                s.Write(data);
            }
        return m.ToArray();
    }

    /// <summary>The archive with one size field forged: an entry's uncompressed or compressed size, in its local header
    /// or the central directory, set to a hostile value (what a crafted zip does to make a reader trust a false
    /// length).</summary>
    public static (byte[] Data, string What) ForgeZipSizes(Random rng, byte[] zip)
    {
        var fields = new List<(int Offset, string Name)>();
        for (int i = 0; i + 30 <= zip.Length; i++)
        {
            if (zip[i] != 0x50 || zip[i + 1] != 0x4B) continue;
            if (zip[i + 2] == 3
                && zip[i + 3] == 4) { fields.Add((i + 18, "local compressed size")); fields
                .Add((i + 22, "local uncompressed size")); }
            else if (zip[i + 2] == 1 && zip[i + 3] == 2
                && i + 46 <= zip.Length) { fields.Add((i + 20, "central compressed size")); fields
                .Add((i + 24, "central uncompressed size")); }
        }
        var copy = (byte[])zip.Clone();
        if (fields.Count == 0) return (copy, "no size field found");
        var (offset, what) = fields[rng.Next(fields.Count)];
        uint value = new uint[] { 0, 1, 0x7FFFFFFF, 0xFFFFFFFE, 0x10000000 }[rng.Next(5)];
        BitConverter.GetBytes(value).CopyTo(copy, offset);
        return (copy, $"{what} at byte {offset} := {value}");
    }

    /// <summary>The offsets at which each write of a BinaryWriter started: the field boundaries of what it
    /// wrote.</summary>
    public sealed class BoundaryStream : MemoryStream
    {
        public List<int> Boundaries { get; } = [];
        public override void Write(byte[] buffer, int offset,
            int count) { Boundaries.Add((int)Position); base.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { Boundaries.Add((int)Position); base.Write(buffer); }
        public override void WriteByte(byte value) { Boundaries.Add((int)Position); base.WriteByte(value); }
    }

    /// <summary>Text as UTF-8 without a byte-order mark.</summary>
    public static byte[] Utf8(string s) => new UTF8Encoding(false).GetBytes(s);
}
