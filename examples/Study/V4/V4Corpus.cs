// Version 4's corpus: the Gutenberg subset (432 public-domain books; provenance in docs/study/v4/corpus.md), checked
// against the SHA-256s of its manifest, split by book (a stable hash of each book's blob id holds out 5 %), each
// held-out book cut to its first 65,536 characters, and written once as byte-level token shards that every trial reads
// in place (two processes share them through the page cache; nothing is tokenized per trial). The shards are written
// into a temporary folder and renamed into place, so two processes that start together never write one folder twice.
using System.Security.Cryptography;
using System.Text.Json;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Examples.Study;

public static class V4Corpus
{
    /// <summary>The corpus files in <paramref name="corpus"/> with their SHA-256s, checked against its manifest.json,
    /// and the SHA-256 of the manifest itself (which names every file's hash: the corpus's identity).</summary>
    public static (IReadOnlyList<(string File, string Sha256)> Files, string ManifestSha256) Verify(string corpus)
    {
        string manifestPath = Path.Combine(corpus, "manifest.json");
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"No manifest.json in '{corpus}': pass --corpus the Gutenberg subset's " +
                $"folder (docs/study/v4/corpus.md says how to get it).", manifestPath);
        using var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var files = new List<(string, string)>();
        foreach (var entry in manifest.RootElement.GetProperty("files").EnumerateObject().OrderBy(e => e.Name,
            StringComparer.Ordinal))
        {
            string path = Path.Combine(corpus, entry.Name);
            if (!File.Exists(path))
                throw new FileNotFoundException($"The corpus manifest names {entry.Name}, which is not in '{corpus}'.",
                    path);
            string actual = Sha256(path);
            if (actual != entry.Value.GetString())
                throw new InvalidDataException($"{path}: SHA-256 {actual}, but the manifest " +
                    $"says {entry.Value.GetString()}. The file is not the published corpus; fetch it again.");
            files.Add((entry.Name, actual));
        }
        return (files, Sha256(manifestPath));
    }

    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>The books in file order: id = the book's blob id (its content hash in the source repository), group =
    /// author; a held-out book's text cut to its first <see cref="V4Design.ValidationCharacters"/>
    /// characters.</summary>
    public static IEnumerable<CorpusDocument> Books(string corpus, IReadOnlyList<string> files, int? maxBooks = null)
    {
        var books = files.SelectMany(f => CorpusReaders.EnumerateJsonl(Path.Combine(corpus,
            f), "text", "blob", "author"))
            .Select(d => IsValidation(d.Id) ? d with { Text = Cut(d.Text, V4Design.ValidationCharacters) } : d);
        return maxBooks is int n ? books.Take(n) : books;
    }

    public static bool IsValidation(string bookId) => DocumentSplit.IsValidation(bookId, V4Design.ValidationFraction);

    /// <summary>The first <paramref name="characters"/> UTF-16 units of <paramref name="text"/>, never splitting a
    /// surrogate pair.</summary>
    public static string Cut(string text, int characters)
    {
        if (text.Length <= characters) return text;
        int end = char.IsLowSurrogate(text[characters]) ? characters - 1 : characters;
        return text[..end];
    }

    /// <summary>The shard folder for the corpus (written on first use), with the corpus's identity.</summary>
    public static string Prepare(string corpus, string shards, string? pinnedManifest, Action<string> log,
        CancellationToken ct, int? maxBooks = null)
    {
        var (files, manifestSha) = Verify(corpus);
        // The study pins its corpus: the manifest must be the one committed beside the plan
        // (docs/study/v4/corpus-manifest.json).
        if (pinnedManifest is not null && File.Exists(pinnedManifest) && Sha256(pinnedManifest) != manifestSha)
            throw new InvalidDataException($"The corpus in '{corpus}' is not the one the study pinned: its " +
                $"manifest's SHA-256 is {manifestSha}, the study's ({pinnedManifest}) is {Sha256(pinnedManifest)}.");
        log($"Corpus {Path.GetFullPath(corpus)}: {files.Count} files, manifest SHA-256 {manifestSha}; every file's " +
            $"SHA-256 matches it.");
        if (File.Exists(Path.Combine(shards, ShardManifest.FileName)) && ShardManifest.Read(shards).Complete)
            return shards;
        string temporary = $"{shards.TrimEnd('/', '\\')}.{Environment.ProcessId}.partial";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        var inputs =
            files.Select(f => $"{f.File} sha256:{f.Sha256}")
            .Append($"held-out books cut to {V4Design.ValidationCharacters} characters").ToList();
        var written = TokenShards.Write(Books(corpus, [.. files.Select(f => f.File)], maxBooks),
            LmTokenizer.Bytes().Create([]), temporary, inputs,
            new TokenizeOptions { ValidationFraction = V4Design.ValidationFraction, ShardTokens = 200_000_000 },
            cancellationToken: ct);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(shards))!);
            Directory.Move(temporary, shards);
        }
        catch (IOException) when (Directory.Exists(shards))
        {
            Directory.Delete(temporary,
                recursive: true);   // another process finished first: its shards are the same bytes
        }
        log($"Shards in {shards}: {written.TokensOf("train"):N0} training " +
            $"and {written.TokensOf("validation"):N0} validation tokens (BOS included).");
        return shards;
    }
}
