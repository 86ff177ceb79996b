// The embedded default corpus: the Brown Corpus as JSONL (one sample per line: id, genre, text). Provenance:
// data/README.md.
using System.IO.Compression;
using System.Text.Json;

namespace MLNet.LowRank.Data;

/// <summary>One document of a corpus.</summary>
/// <param name="Id">A stable identifier (Brown: the sample id, e.g. "ca01").</param>
/// <param name="Group">A stratum for splitting (Brown: the genre letter).</param>
/// <param name="Text">The text.</param>
public sealed record CorpusDocument(string Id, string Group, string Text);

/// <summary>Reads the Brown Corpus shipped inside the library.</summary>
public static class BrownCorpus
{
    const string ResourceName = "MLNet.LowRank.Data.brown.jsonl.gz";

    /// <summary>The 500 Brown samples, ordered by id; Group is the genre letter (the id's second character).</summary>
    public static IReadOnlyList<CorpusDocument> Load()
    {
        using var resource = typeof(BrownCorpus).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded corpus {ResourceName} is missing from the " +
            $"assembly; the build did not embed data/brown.jsonl.gz.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var docs = new List<CorpusDocument>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            using var json = JsonDocument.Parse(line);
            string id = json.RootElement.GetProperty("id").GetString()!;
            docs.Add(new CorpusDocument(id, id.Substring(1, 1), json.RootElement.GetProperty("text").GetString()!));
        }
        return docs.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
    }
}
