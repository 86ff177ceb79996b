// Writes a corpus as token shards (nanoGPT/nanochat style) and opens them for training. Documents are read as a stream,
// tokenized in parallel a chunk at a time (in input order, so the shards are the same on every run), each sent to the
// training or validation shards by a stable hash of its id, and the manifest is rewritten after every finished shard —
// so an interrupted run resumes where the last shard ended, and never holds more than a chunk of documents in memory.
using System.Diagnostics;
using System.Text;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Data.Shards;

/// <summary>Options of <see cref="TokenShards.Write"/>.</summary>
public sealed record TokenizeOptions
{
    /// <summary>Training tokens per shard before a new one starts. Default 100,000,000.</summary>
    public long ShardTokens { get; init; } = 100_000_000;
    /// <summary>Share of documents held out for validation, by a stable hash of (seed, id). Default 0.01.</summary>
    public double ValidationFraction { get; init; } = 0.01;
    /// <summary>Seed of the split. Default 0.</summary>
    public int SplitSeed { get; init; }
    /// <summary>Documents tokenized together (in parallel). Default 1,024.</summary>
    public int ChunkDocuments { get; init; } = 1024;

    /// <summary>Write into a folder that holds other files and no manifest (they are left alone: only shard names are
    /// written). Default false: such a folder is refused, since it is probably not meant for shards.</summary>
    public bool Force { get; init; }
}

/// <summary>A progress report of tokenizing.</summary>
public sealed record TokenizeProgress(long Documents, long Bytes, long TrainTokens, long ValidationTokens,
    double Seconds)
{
    /// <summary>Input megabytes (10⁶ bytes of UTF-8) per second.</summary>
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / 1e6 / Seconds : 0;

    public override string ToString() =>
        $"{Documents:N0} documents, {Bytes / 1e6:N1} MB, {TrainTokens + ValidationTokens:N0} tokens " +
        $"({ValidationTokens:N0} validation), {MegabytesPerSecond:N1} MB/s";
}

/// <summary>Token shards on disk.</summary>
public static class TokenShards
{
    /// <summary>Tokenizes <paramref name="documents"/> into shards in <paramref name="directory"/>; resumes a directory
    /// an interrupted run left (the same inputs and tokenizer), and returns the finished manifest.</summary>
    /// <param name="inputs">What the documents were read from, as the user gave it (recorded; a resume must
    /// match).</param>
    public static ShardManifest Write(IEnumerable<CorpusDocument> documents, LmTokenizer tokenizer, string directory,
        IReadOnlyList<string> inputs,
        TokenizeOptions? options = null, IProgress<TokenizeProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TokenizeOptions();
        if (!(options.ValidationFraction >= 0 && options.ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(options),
                options.ValidationFraction, $"ValidationFraction must be in [0, 1); got {options.ValidationFraction}.");
        if (options.ShardTokens < 1024)
            throw new ArgumentOutOfRangeException(nameof(options),
                options.ShardTokens, "ShardTokens must be at least 1,024.");
        Directory.CreateDirectory(directory);
        bool fresh = !File.Exists(Path.Combine(directory, ShardManifest.FileName));
        if (fresh && !options.Force && Directory.EnumerateFileSystemEntries(directory).FirstOrDefault() is { } other)
            throw new InvalidOperationException($"'{directory}' is not empty ({Path.GetFileName(other)} …) and holds " +
                $"no shard manifest: it does not look like a shard directory. Choose a new or empty directory, or " +
                $"pass --force (TokenizeOptions.Force) to write shards beside what is there.");
        var manifest = Resume(directory, tokenizer, inputs, options);
        if (manifest.Complete) return manifest;
        // Shards an interrupted run was writing are not in the manifest: start them again. Only names this writer makes
        // (train_000123.bin, validation_000004.bin) in a directory whose manifest is its own are removed — never a
        // user's file.
        if (!fresh)
        {
            var known = manifest.Shards.Select(s => s.File).ToHashSet();
            foreach (var stray in Directory.EnumerateFiles(directory, "*.bin").Where(f =>
                IsShardName(Path.GetFileName(f)) && !known.Contains(Path.GetFileName(f)))) File.Delete(stray);
        }

        var clock = Stopwatch.StartNew();
        long documentsDone = manifest.DocumentsConsumed, bytesDone = manifest.BytesConsumed;
        var shards = manifest.Shards.ToList();
        using var train = new ShardWriter(directory, "train", manifest.ShardVersion,
            shards.Count(s => s.Split == "train"));
        using var validation = new ShardWriter(directory, "validation", manifest.ShardVersion,
            shards.Count(s => s.Split == "validation"));
        long trainTokens = manifest.TokensOf("train"), validationTokens = manifest.TokensOf("validation");

        void Checkpoint(bool complete)
        {
            foreach (var writer in new[] { train, validation })
                if (writer.Close() is { } entry) shards.Add(entry);
            manifest = manifest with { Shards = shards.ToList(), DocumentsConsumed = documentsDone,
                BytesConsumed = bytesDone, Complete = complete };
            manifest.Write(directory);
        }

        foreach (var chunk in Batches(documents.Skip(checked((int)Math.Min(int.MaxValue, manifest.DocumentsConsumed))),
            options.ChunkDocuments, MaxChunkCharacters))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var encoded = chunk.AsParallel().AsOrdered().Select(d => (d.Id, Tokens: tokenizer.Encode(d.Text),
                Bytes: Encoding.UTF8.GetByteCount(d.Text))).ToArray();
            foreach (var (id, tokens, bytes) in encoded)
            {
                if (tokens.Length > 0)
                {
                    bool held = options.ValidationFraction > 0 && DocumentSplit.IsValidation(id,
                        options.ValidationFraction, options.SplitSeed);
                    (held ? validation : train).Add(tokenizer.BosId, tokens);
                    if (held) validationTokens += tokens.Length + 1; else trainTokens += tokens.Length + 1;
                }
                documentsDone++;
                bytesDone += bytes;
            }
            if (train.Tokens >= options.ShardTokens) Checkpoint(complete: false);
            progress?.Report(new TokenizeProgress(documentsDone, bytesDone, trainTokens, validationTokens,
                clock.Elapsed.TotalSeconds));
        }
        Checkpoint(complete: true);
        progress?.Report(new TokenizeProgress(documentsDone, bytesDone, trainTokens, validationTokens,
            clock.Elapsed.TotalSeconds));
        return manifest;
    }

    /// <summary>Characters tokenized together at most (with <see cref="TokenizeOptions.ChunkDocuments"/>): a chunk of
    /// large documents — a big text file streams as 16 MiB pieces — is held with its tokens, so it is bounded by size
    /// too.</summary>
    const long MaxChunkCharacters = 16L << 20;

    /// <summary>Consecutive documents in batches of at most <paramref name="count"/> documents and, unless one document
    /// alone is larger, <paramref name="characters"/> characters.</summary>
    static IEnumerable<CorpusDocument[]> Batches(IEnumerable<CorpusDocument> documents, int count, long characters)
    {
        var batch = new List<CorpusDocument>();
        long held = 0;
        foreach (var d in documents)
        {
            if (batch.Count > 0 && (batch.Count >= count || held + d.Text.Length > characters))
            {
                yield return [.. batch];
                batch.Clear();
                held = 0;
            }
            batch.Add(d);
            held += d.Text.Length;
        }
        if (batch.Count > 0) yield return [.. batch];
    }

    static bool IsShardName(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, @"^(train|validation)_\d{6}\.bin$");

    static ShardManifest Resume(string directory, LmTokenizer tokenizer, IReadOnlyList<string> inputs,
        TokenizeOptions options)
    {
        if (!File.Exists(Path.Combine(directory, ShardManifest.FileName)))
        {
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) tokenizer.Write(w);
            return new ShardManifest
            {
                Tokenizer = tokenizer.Name, TokenizerFingerprint = tokenizer.Fingerprint,
                    TokenizerData = Convert.ToBase64String(buffer.ToArray()),
                VocabSize = tokenizer.VocabSize, BosId = tokenizer.BosId,
                    ShardVersion = TokenShardFile.VersionFor(tokenizer.VocabSize),
                ValidationFraction = options.ValidationFraction, SplitSeed = options.SplitSeed, Inputs = inputs,
            };
        }
        var existing = ShardManifest.Read(directory);
        if (existing.TokenizerFingerprint != tokenizer.Fingerprint)
            throw new InvalidOperationException($"'{directory}' holds shards of " +
                $"tokenizer {existing.Tokenizer} [{existing.TokenizerFingerprint}], " +
                $"not {tokenizer} [{tokenizer.Fingerprint}]. Use a new directory.");
        if (!existing.Inputs.SequenceEqual(inputs) || existing.ValidationFraction != options.ValidationFraction
            || existing.SplitSeed != options.SplitSeed)
            throw new InvalidOperationException($"'{directory}' was written " +
                $"from {string.Join(", ", existing.Inputs)} (validation {existing.ValidationFraction}, " +
                $"seed {existing.SplitSeed}); this run " +
                $"reads {string.Join(", ", inputs)} (validation {options.ValidationFraction}, " +
                $"seed {options.SplitSeed}). Use a new directory, or the same inputs to resume.");
        return existing;
    }

    /// <summary>The stream of one split (<c>"train"</c> or <c>"validation"</c>) of a shard directory, read from disk as
    /// needed.</summary>
    public static TokenStream Open(string directory, string split, out LmTokenizer tokenizer)
    {
        var manifest = ShardManifest.Read(directory);
        if (!manifest.Complete)
            throw new InvalidOperationException($"'{directory}' is not finished (tokenizing stopped " +
                $"after {manifest.DocumentsConsumed:N0} documents). Run the same tokenize command again to finish it.");
        if (split is not ("train" or "validation"))
            throw new ArgumentException($"Split '{split}': use \"train\" or \"validation\".", nameof(split));
        tokenizer = manifest.CreateTokenizer();
        var files = manifest.Shards.Where(s => s.Split == split).Select(s => Path.Combine(directory, s.File)).ToList();
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } gone)
            throw new InvalidDataException($"'{directory}': the manifest lists {Path.GetFileName(gone)}, which is " +
                $"missing. Restore it or tokenize again.");
        if (files.Count == 0)
            throw new InvalidOperationException($"'{directory}' has no {split} shards (validation " +
                $"fraction {manifest.ValidationFraction}).");
        // The manifest's counts must be the shards' own (their headers): a manifest edited or copied from another run
        // would otherwise name data it does not describe.
        foreach (var entry in manifest.Shards.Where(s => s.Split == split))
        {
            long inHeader = TokenShardFile.ReadHeader(Path.Combine(directory, entry.File)).Tokens;
            if (inHeader != entry.Tokens)
                throw new InvalidDataException($"'{directory}': the manifest counts {entry.Tokens:N0} tokens " +
                    $"in {entry.File}, but its header says {inHeader:N0}. The manifest does not describe these " +
                    $"shards; tokenize again.");
        }
        string identity = $"shards {manifest.TokenizerFingerprint} {split} {manifest.TokensOf(split)} tokens " +
            $"#{Common.StableHash.Fnv1a(string.Join("|", manifest.Shards.Where(s => s.Split == split).Select(s => $"{s.File}:{s.Tokens}:{s.Documents}"))):x16}";
        return TokenStream.FromShards(files, manifest.BosId, identity);
    }

    /// <summary>Appends documents to one split's current shard file.</summary>
    sealed class ShardWriter(string directory, string split, int version, int next) : IDisposable
    {
        FileStream? file;
        string? name;
        int index = next;
        long documents;

        public long Tokens { get; private set; }

        public void Add(int bos, int[] tokens)
        {
            if (file is null)
            {
                name = $"{split}_{index++:D6}.bin";
                file = new FileStream(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.ReadWrite);
                file.Write(TokenShardFile.Header(version, 0)); // the count is written when the shard closes
                Tokens = documents = 0;
            }
            int size = TokenShardFile.TokenBytes(version);
            var bytes = new byte[(tokens.Length + 1) * size];
            for (int i = 0; i <= tokens.Length; i++)
            {
                int token = i == 0 ? bos : tokens[i - 1];
                if (version == 1)
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2),
                        checked((ushort)token));
                else System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4),
                    checked((uint)token));
            }
            file.Write(bytes);
            Tokens += tokens.Length + 1;
            documents++;
        }

        /// <summary>Finishes the current shard (its header gets the count); null when none is open.</summary>
        public ShardEntry? Close()
        {
            if (file is null) return null;
            file.Position = 0;
            file.Write(TokenShardFile.Header(version, Tokens));
            file.Flush(flushToDisk: true);
            file.Dispose();
            file = null;
            return new ShardEntry(name!, split, Tokens, documents);
        }

        public void Dispose() => file?.Dispose(); // an unfinished shard stays out of the manifest and is redone on resume
    }
}
