// Corpus loaders as IDataViews (columns Id, Group, Text) and the train/validation split by document.
using Microsoft.ML;
using MLNet.LowRank.Data;

namespace MLNet.LowRank;

/// <summary>The two sides of a document split.</summary>
/// <param name="Train">Training documents.</param>
/// <param name="Validation">Held-out documents.</param>
public sealed record DocumentSplitResult(IDataView Train, IDataView Validation);

/// <summary>Data operations of <see cref="LowRankCatalog"/>.</summary>
public sealed class LowRankDataCatalog
{
    readonly MLContext ml;
    internal LowRankDataCatalog(MLContext ml) => this.ml = ml;

    /// <summary>The embedded Brown Corpus: 500 samples, Group = genre letter.</summary>
    public IDataView LoadBrownCorpus() => FromDocuments(BrownCorpus.Load());

    /// <summary>Plain-text files (a file, a folder, or a folder/*.ext glob), one document per file, streamed: a file is
    /// read when a cursor reaches it, so the corpus never has to fit in memory.</summary>
    public IDataView LoadTextFiles(string path, string pattern = "*.txt")
    {
        if (CorpusReaders.Files(path, pattern).Files.Count == 0)
            throw new FileNotFoundException($"'{path}' matches no files (pattern '{pattern}').", path);
        return Streamed(() => CorpusReaders.EnumerateTextFiles(path, pattern), grouped: false);
    }

    /// <summary>JSONL documents (a .gz file is decompressed), streamed a line at a time.</summary>
    public IDataView LoadJsonl(string path, string textField = "text", string? idField = "id",
        string? groupField = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No JSONL file at '{path}'.", path);
        return Streamed(() => CorpusReaders.EnumerateJsonl(path, textField, idField, groupField),
            grouped: groupField is not null);
    }

    /// <summary>In-memory texts; ids are their positions.</summary>
    public IDataView LoadFromTexts(IEnumerable<string> texts) =>
        FromDocuments(texts.Select((t,
        i) => new CorpusDocument(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), "", t)).ToList());

    /// <summary>One split ("train" or "validation") of a token-shard directory written by <c>lowrank tokenize</c> or
    /// <see cref="Data.Shards.TokenShards.Write"/>: one row per document in a <paramref name="columnName"/> column the
    /// LowRankLm trainer accepts directly (no tokenizer stage), read from disk as needed rather than loaded. Dispose it
    /// after use.</summary>
    public Data.Shards.TokenShardDataView LoadTokenShards(string directory, string split = "train",
        string columnName = "Tokens") => new(directory, split, columnName);

    /// <summary>A deterministic split by document: stratified by Group where documents have groups (every group appears
    /// in validation), by a stable hash of Id otherwise. Never by position in a token stream.</summary>
    public DocumentSplitResult SplitByDocument(IDataView documents, double validationFraction = 0.1, int seed = 0)
    {
        // A streamed corpus without groups is split as it streams: each document by the stable hash of its id alone.
        if (documents is StreamedCorpus { Grouped: false } streamed)
        {
            if (!(validationFraction > 0 && validationFraction < 1))
                throw new ArgumentOutOfRangeException(nameof(validationFraction),
                    validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
            return new DocumentSplitResult(
                Streamed(() => streamed.Documents().Where(d => !DocumentSplit.IsValidation(d.Id, validationFraction,
                seed)), false),
                Streamed(() => streamed.Documents().Where(d => DocumentSplit.IsValidation(d.Id, validationFraction,
                seed)), false));
        }
        var docs = ml.Data.CreateEnumerable<DocumentRow>(documents, reuseRowObject: false)
            .Select(r => new CorpusDocument(r.Id, r.Group, r.Text)).ToList();
        var (train, valid) = docs.All(d => d.Group.Length > 0)
            ? DocumentSplit.ByGroup(docs, validationFraction, seed)
            : DocumentSplit.ByHash(docs, validationFraction, seed);
        return new DocumentSplitResult(FromDocuments(train), FromDocuments(valid));
    }

    /// <summary>Each document's last <paramref name="validationFraction"/> held out by position (the end of a single
    /// text file, as nanoGPT does): for a corpus of too few documents to split by document. Loads the
    /// documents.</summary>
    public DocumentSplitResult SplitByPosition(IDataView documents, double validationFraction = 0.1)
    {
        var docs = ml.Data.CreateEnumerable<DocumentRow>(documents,
            reuseRowObject: false).Select(r => new CorpusDocument(r.Id, r.Group, r.Text)).ToList();
        var (train, valid) = DocumentSplit.ByPosition(docs, validationFraction);
        return new DocumentSplitResult(FromDocuments(train), FromDocuments(valid));
    }

    IDataView FromDocuments(IReadOnlyList<CorpusDocument> docs) =>
        ml.Data.LoadFromEnumerable(docs.Select(d => new DocumentRow { Id = d.Id, Group = d.Group,
        Text = d.Text }).ToList());

    IDataView Streamed(Func<IEnumerable<CorpusDocument>> documents, bool grouped) => new StreamedCorpus(ml, documents,
        grouped);

    /// <summary>A corpus read afresh by every cursor, one document at a time.</summary>
    sealed class StreamedCorpus(MLContext ml, Func<IEnumerable<CorpusDocument>> documents, bool grouped) : IDataView
    {
        readonly IDataView inner = ml.Data.LoadFromEnumerable(new Rows(documents));
        public bool Grouped => grouped;
        public IEnumerable<CorpusDocument> Documents() => documents();
        public DataViewSchema Schema => inner.Schema;
        public bool CanShuffle => false;
        public long? GetRowCount() => null;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded,
            Random? rand = null) => inner.GetRowCursor(columnsNeeded, null);
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n,
            Random? rand = null) => [GetRowCursor(columnsNeeded)];

        sealed class Rows(Func<IEnumerable<CorpusDocument>> documents) : IEnumerable<DocumentRow>
        {
            public IEnumerator<DocumentRow> GetEnumerator() => documents().Select(d => new DocumentRow { Id = d.Id,
                Group = d.Group, Text = d.Text }).GetEnumerator();
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
