// Reads corpora from disk: plain-text files (a file, a folder, or a folder/pattern glob — one document per file) and
// JSONL (one document per line, a configurable text field; .gz accepted). Bytes that are not valid UTF-8 are an error
// naming the file and byte offset: silently replacing them would change the bytes that bits-per-byte counts.
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace MLNet.LowRank.Data;

/// <summary>Corpus readers returning <see cref="CorpusDocument"/>s in a stable order: as lists, or as streams that hold
/// one document at a time (for corpora larger than memory).</summary>
public static class CorpusReaders
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Text files: <paramref name="path"/> is a file, a folder (every file matching
    /// <paramref name="pattern"/>, recursively), or a "folder/*.ext" glob. Ids are paths relative to the folder, in
    /// ordinal order.</summary>
    public static IReadOnlyList<CorpusDocument> TextFiles(string path, string pattern = "*.txt")
    {
        var docs = EnumerateTextFiles(path, pattern).ToList();
        if (docs.Count == 0) throw new FileNotFoundException($"'{path}' matches no files (pattern '{pattern}').", path);
        return docs;
    }

    /// <summary>A text file larger than this (16 MiB) is read as several documents of about this size, each cut at a
    /// line break (ids "&lt;file&gt;#0", "#1", …), one at a time — so one file of any size streams at flat memory, as a
    /// folder does. Files up to it are one document each, as always.</summary>
    public const int ChunkBytes = 16 << 20;

    /// <summary>As <see cref="TextFiles"/>, one document at a time (a file is read when its turn comes).</summary>
    public static IEnumerable<CorpusDocument> EnumerateTextFiles(string path,
        string pattern = "*.txt") => EnumerateTextFiles(path, pattern, ChunkBytes);

    /// <summary>As the public overload, with the chunk size a test can make small.</summary>
    internal static IEnumerable<CorpusDocument> EnumerateTextFiles(string path, string pattern, int chunkBytes)
    {
        var (root, files) = Files(path, pattern);
        foreach (var f in files)
        {
            string id = Path.GetRelativePath(root, f).Replace('\\', '/');
            long length = Common.UserFile.Check(f, long.MaxValue, "text file");
            if (length <= chunkBytes)
            {
                yield return new CorpusDocument(id, "",
                    Decode(Common.UserFile.ReadAllBytes(f, chunkBytes, "text file"), f, 0));
                continue;
            }
            int k = 0;
            foreach (var (bytes, offset) in Chunks(f, chunkBytes))
                yield return new CorpusDocument($"{id}#{k++}", "", Decode(bytes, f, offset));
        }
    }

    /// <summary>A large file in pieces of about <see cref="ChunkBytes"/>, each ending after a line break (or, in a line
    /// longer than a mebibyte, at a UTF-8 character boundary), with each piece's byte offset in the file.</summary>
    static IEnumerable<(byte[] Bytes, long Offset)> Chunks(string path, int chunkBytes)
    {
        using var file = Common.UserFile.OpenRead(path, long.MaxValue, "text file");
        int slack = Math.Min(1 << 20, chunkBytes);
        var buffer = new byte[chunkBytes + slack];
        int held = 0;
        long offset = 0;
        while (true)
        {
            int n = file.Read(buffer, held, buffer.Length - held);
            held += n;
            if (held == 0) yield break;
            int cut = held;
            if (n > 0 && held > chunkBytes)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', chunkBytes, held - chunkBytes);
                cut = newline >= 0 ? newline + 1 : chunkBytes;
                while (newline < 0 && cut > 0 && (buffer[cut] & 0xC0) == 0x80) cut--;   // never inside a character
            }
            else if (n > 0) continue;   // read until the buffer holds a whole chunk, or the file ends
            yield return (buffer[..cut], offset);
            offset += cut;
            Array.Copy(buffer, cut, buffer, 0, held - cut);
            held -= cut;
        }
    }

    /// <summary>The files a path, folder or glob names, in ordinal order, and the folder ids are relative to.</summary>
    public static (string Root, IReadOnlyList<string> Files) Files(string path, string pattern = "*.txt")
    {
        string root;
        IEnumerable<string> files;
        if (File.Exists(path))
        {
            root = Path.GetDirectoryName(Path.GetFullPath(path))!;
            files = [Path.GetFullPath(path)];
        }
        else if (Directory.Exists(path))
        {
            root = Path.GetFullPath(path);
            files = Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories);
        }
        else if (Path.GetFileName(path).IndexOfAny(['*',
            '?']) >= 0 && Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path))))
        {
            root = Path.GetDirectoryName(Path.GetFullPath(path))!;
            files = Directory.EnumerateFiles(root, Path.GetFileName(path), SearchOption.TopDirectoryOnly);
        }
        else throw new FileNotFoundException($"No file, folder or glob matches '{path}'.", path);

        return (root, files.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>JSONL, one object per line; <paramref name="textField"/> holds the text, <paramref name="idField"/> the
    /// id (else the line number), <paramref name="groupField"/> an optional stratum. A ".gz" file is
    /// decompressed.</summary>
    public static IReadOnlyList<CorpusDocument> Jsonl(string path, string textField = "text", string? idField = "id",
        string? groupField = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No JSONL file at '{path}'.", path);
        return EnumerateJsonl(path, textField, idField, groupField).ToList();
    }

    /// <summary>As <see cref="Jsonl"/>, one line at a time.</summary>
    public static IEnumerable<CorpusDocument> EnumerateJsonl(string path, string textField = "text",
        string? idField = "id", string? groupField = null)
    {
        using var file = Common.UserFile.OpenRead(path,
            long.MaxValue, "JSONL file");   // streamed: a regular file of any size
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file,
            CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, StrictUtf8);
        int lineNumber = 0;
        while (true)
        {
            CorpusDocument? doc;
            try
            {
                if (reader.ReadLine() is not { } line) yield break;
                lineNumber++;
                doc = string.IsNullOrWhiteSpace(line) ? null : ParseLine(line, path, lineNumber, textField, idField,
                    groupField);
            }
            catch (JsonException e) { throw new InvalidDataException($"{path}, line {lineNumber}: not valid JSON " +
                $"({e.Message}).", e); }
            catch (DecoderFallbackException e) { throw new InvalidDataException($"{path}, line {lineNumber}: bytes " +
                $"that are not valid UTF-8 ({e.Message}). Re-encode the file as UTF-8.", e); }
            if (doc is not null) yield return doc;
        }
    }

    static CorpusDocument ParseLine(string line, string path, int lineNumber, string textField, string? idField,
        string? groupField)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (!root.TryGetProperty(textField, out var text) || text.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{path}, line {lineNumber}: no string field '{textField}'. Fields " +
                $"here: {string.Join(", ", root.EnumerateObject().Select(p => $"'{p.Name}'"))}. Pass textField.");
        string id = idField is not null && root.TryGetProperty(idField,
            out var idValue) ? idValue.ToString()
            : lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string group = groupField is not null && root.TryGetProperty(groupField, out var g) ? g.ToString() : "";
        return new CorpusDocument(id, group, text.GetString()!);
    }

    static string Decode(byte[] bytes, string file, long offset)
    {
        try
        {
            int start = offset == 0 && bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{file}: byte offset {offset + e.Index} is not valid UTF-8. Re-encode " +
                $"the file as UTF-8.", e);
        }
    }
}
