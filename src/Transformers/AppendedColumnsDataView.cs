// The lazy IDataView our transformers return: every input column passes through, and new columns are computed per row,
// only when a cursor asks for one of them; and the same as a row-to-row mapper, for PredictionEngine. ML.NET's own
// row-mapper base classes are internal, so this is the small public-API equivalent.
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

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n,
        Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor(AppendedColumnsDataView parent, DataViewRowCursor source,
        bool[] activeOutputs) : DataViewRowCursor
    {
        readonly AppendedValues appended = new(source, parent.Function, activeOutputs);

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => source.Position;
        public override long Batch => source.Batch;
        public override bool MoveNext() => source.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => appended.IsActive(column);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            appended.Getter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) source.Dispose();
            base.Dispose(disposing);
        }
    }

    IRowFunction Function => function;
}

/// <summary>The getters of a row with appended columns: source columns pass through; the appended ones are computed
/// once per source position, when first asked for.</summary>
internal sealed class AppendedValues(DataViewRow source, IRowFunction function, bool[] activeOutputs)
{
    readonly object?[] values = new object?[activeOutputs.Length];
    readonly Action<object?[]>? fill = activeOutputs.Any(a => a) ? function.Bind(source) : null;
    long filledAt = -1;

    int SourceCount => source.Schema.Count;

    public bool IsActive(DataViewSchema.Column column) =>
        column.Index < SourceCount ? source.IsColumnActive(source.Schema[column.Index])
        : activeOutputs[column.Index - SourceCount];

    public ValueGetter<TValue> Getter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < SourceCount) return source.GetGetter<TValue>(source.Schema[column.Index]);
        int k = column.Index - SourceCount;
        if (!activeOutputs[k])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the row was made.");
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
}

/// <summary>The same appended columns one row at a time, as ML.NET's PredictionEngine and row-to-row pipelines use
/// them.</summary>
internal sealed class AppendedColumnsMapper(DataViewSchema inputSchema, IRowFunction function) : IRowToRowMapper
{
    public DataViewSchema InputSchema => inputSchema;

    public DataViewSchema OutputSchema { get; } = AppendedColumnsDataView.BuildSchema(inputSchema, function);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new SortedSet<int>();
        foreach (var c in dependingColumns)
        {
            if (c.Index < inputSchema.Count) needed.Add(c.Index);
            else foreach (string name in function.Inputs) needed.Add(inputSchema[name].Index);
        }
        return needed.Select(i => inputSchema[i]).ToList();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var active = new bool[function.Outputs.Count];
        foreach (var c in activeColumns)
            if (c.Index >= inputSchema.Count) active[c.Index - inputSchema.Count] = true;
        return new Row(OutputSchema, input, new AppendedValues(input, function, active));
    }

    sealed class Row(DataViewSchema schema, DataViewRow source, AppendedValues appended) : DataViewRow
    {
        public override DataViewSchema Schema => schema;
        public override long Position => source.Position;
        public override long Batch => source.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => appended.IsActive(column);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            appended.Getter<TValue>(column);
    }
}
