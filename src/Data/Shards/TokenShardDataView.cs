// Token shards as an ML.NET IDataView: one row per document with a Tokens column (Int32 ids, no BOS) annotated with the
// tokenizer of the manifest, so LowRankLm trains on it and Evaluate scores it like any tokenized data. The trainer
// reads the on-disk stream directly instead of copying rows, so resident memory does not grow with the corpus.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Training;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Data.Shards;

/// <summary>One split of a token-shard directory. Dispose it to close the shard files.</summary>
public sealed class TokenShardDataView : IDataView, IDisposable
{
    internal TokenShardDataView(string directory, string split, string columnName)
    {
        Stream = TokenShards.Open(directory, split, out var tokenizer);
        Tokenizer = tokenizer;
        Directory = directory;
        Split = split;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(columnName, new VectorDataViewType(NumberDataViewType.Int32),
            TokenizerRegistry.Annotate(tokenizer, "Text"));
        Schema = builder.ToSchema();
    }

    /// <summary>The shard directory.</summary>
    public string Directory { get; }

    /// <summary>"train" or "validation".</summary>
    public string Split { get; }

    /// <summary>The tokenizer that made the ids (rebuilt from the manifest).</summary>
    public LmTokenizer Tokenizer { get; }

    /// <summary>The on-disk stream (what the trainer reads).</summary>
    public TokenStream Stream { get; }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => Stream.DocumentCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded,
        Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n,
        Random? rand = null) => [new Cursor(this)];

    public void Dispose() => Stream.Dispose();

    sealed class Cursor(TokenShardDataView parent) : DataViewRowCursor
    {
        long position = -1;

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override bool MoveNext() => ++position < parent.Stream.DocumentCount;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
            id = new DataViewRowId((ulong)position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != 0 || typeof(TValue) != typeof(VBuffer<int>))
                throw new InvalidOperationException($"Column '{column.Name}' of token shards is read as VBuffer<int>.");
            ValueGetter<VBuffer<int>> getter = (ref VBuffer<int> value) =>
            {
                var ids = parent.Stream.Document((int)position);
                value = new VBuffer<int>(ids.Length, ids);
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }
    }
}
