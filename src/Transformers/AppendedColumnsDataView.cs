// The lazy IDataView our transformers return: every input column passes through, and new columns are computed per row,
// only when a cursor asks for one of them. ML.NET's own row-mapper base classes are internal, so this is the small
// public-API equivalent.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.LowRank.Transformers;

/// <summary>Computes the added columns of one row from the input row.</summary>
internal interface IRowFunction
{
    /// <summary>The columns added, in order.</summary>
    IReadOnlyList<DataViewSchema.DetachedColumn> Outputs { get; }

    /// <summary>Names of the input columns the outputs are computed from.</summary>
    IReadOnlyList<string> Inputs { get; }

    /// <summary>Returns a function that fills the output values of the row <paramref name="input"/> is at.</summary>
    Action<object?[]> Bind(DataViewRow input);
}

/// <summary><paramref name="source"/> with the columns of <paramref name="function"/> appended.</summary>
internal sealed class AppendedColumnsDataView(IDataView source, IRowFunction function) : IDataView
{
    public DataViewSchema Schema { get; } = BuildSchema(source.Schema, function);

    public bool CanShuffle => source.CanShuffle;

    public long? GetRowCount() => source.GetRowCount();

    /// <summary>The schema <paramref name="input"/> gets with the outputs appended.</summary>
    public static DataViewSchema BuildSchema(DataViewSchema input, IRowFunction function)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var c in function.Outputs) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int n = source.Schema.Count;
        var needed = columnsNeeded.ToList();
        var activeOutputs = new bool[function.Outputs.Count];
        var sourceColumns = new HashSet<int>();
        foreach (var c in needed)
        {
            if (c.Index < n) sourceColumns.Add(c.Index);
            else activeOutputs[c.Index - n] = true;
        }
        if (activeOutputs.Any(a => a))
            foreach (string name in function.Inputs) sourceColumns.Add(source.Schema[name].Index);
        var cursor = source.GetRowCursor(sourceColumns.Select(i => source.Schema[i]), rand);
        return new Cursor(this, cursor, activeOutputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor : DataViewRowCursor
    {
        readonly AppendedColumnsDataView parent;
        readonly DataViewRowCursor source;
        readonly bool[] activeOutputs;
        readonly object?[] values;
        readonly Action<object?[]>? fill;
        long filledAt = -1;

        public Cursor(AppendedColumnsDataView parent, DataViewRowCursor source, bool[] activeOutputs)
        {
            this.parent = parent;
            this.source = source;
            this.activeOutputs = activeOutputs;
            values = new object?[activeOutputs.Length];
            if (activeOutputs.Any(a => a)) fill = parent.Function.Bind(source);
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => source.Position;
        public override long Batch => source.Batch;
        public override bool MoveNext() => source.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();

        int SourceCount => source.Schema.Count;

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < SourceCount ? source.IsColumnActive(source.Schema[column.Index]) : activeOutputs[column.Index - SourceCount];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < SourceCount) return source.GetGetter<TValue>(source.Schema[column.Index]);
            int k = column.Index - SourceCount;
            if (!activeOutputs[k]) throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            return (ref TValue value) =>
            {
                if (filledAt != source.Position)
                {
                    fill!(values);
                    filledAt = source.Position;
                }
                value = (TValue)values[k]!;
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) source.Dispose();
            base.Dispose(disposing);
        }
    }

    IRowFunction Function => function;
}
