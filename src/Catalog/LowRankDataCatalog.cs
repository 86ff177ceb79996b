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

    /// <summary>Plain-text files (a file, a folder, or a folder/*.ext glob), one document per file.</summary>
    public IDataView LoadTextFiles(string path, string pattern = "*.txt") => FromDocuments(CorpusReaders.TextFiles(path, pattern));

    /// <summary>JSONL documents (a .gz file is decompressed).</summary>
    public IDataView LoadJsonl(string path, string textField = "text", string? idField = "id", string? groupField = null) =>
        FromDocuments(CorpusReaders.Jsonl(path, textField, idField, groupField));

    /// <summary>In-memory texts; ids are their positions.</summary>
    public IDataView LoadFromTexts(IEnumerable<string> texts) =>
        FromDocuments(texts.Select((t, i) => new CorpusDocument(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), "", t)).ToList());

    /// <summary>A deterministic split by document: stratified by Group where documents have groups (every group appears
    /// in validation), by a stable hash of Id otherwise. Never by position in a token stream.</summary>
    public DocumentSplitResult SplitByDocument(IDataView documents, double validationFraction = 0.1, int seed = 0)
    {
        var docs = ml.Data.CreateEnumerable<DocumentRow>(documents, reuseRowObject: false)
            .Select(r => new CorpusDocument(r.Id, r.Group, r.Text)).ToList();
        var (train, valid) = docs.All(d => d.Group.Length > 0)
            ? DocumentSplit.ByGroup(docs, validationFraction, seed)
            : DocumentSplit.ByHash(docs, validationFraction, seed);
        return new DocumentSplitResult(FromDocuments(train), FromDocuments(valid));
    }

    IDataView FromDocuments(IReadOnlyList<CorpusDocument> docs) =>
        ml.Data.LoadFromEnumerable(docs.Select(d => new DocumentRow { Id = d.Id, Group = d.Group, Text = d.Text }).ToList());
}
