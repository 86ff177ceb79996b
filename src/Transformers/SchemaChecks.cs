// Schema problems named before any work: which column is missing or has the wrong type, and what was expected.
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.LowRank.Transformers;

internal static class SchemaChecks
{
    public static DataViewSchema.Column RequireText(DataViewSchema schema, string column, string stage)
    {
        var c = Require(schema, column, stage);
        if (c.Type is not TextDataViewType)
            throw new ArgumentException($"{stage}: column '{column}' has type {c.Type}; it must be text (string). " +
                $"Point the stage at a text column or convert this one.", nameof(schema));
        return c;
    }

    public static DataViewSchema.Column RequireTokens(DataViewSchema schema, string column, string stage)
    {
        var c = Require(schema, column, stage);
        if (c.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Int32)
            throw new ArgumentException($"{stage}: column '{column}' has type {c.Type}; it must be a vector of Int32 " +
                $"token ids, as TokenizeForLanguageModel produces.", nameof(schema));
        return c;
    }

    /// <summary>Refuses a token column whose annotation names a tokenizer other than <paramref name="expected"/>: its
    /// ids would mean other strings, and every score on them would be meaningless.</summary>
    public static void RequireTokenizer(DataViewSchema.Column column, Data.Tokenizers.LmTokenizer expected,
        string expectedRole, string stage, string fix)
    {
        if (TokenizerRegistry.Find(column) is { } made && !made.Tokenizer.SameAs(expected))
            throw new ArgumentException($"{stage}: column '{column.Name}' was tokenized " +
                $"by {made.Tokenizer} [{made.Tokenizer.Fingerprint}], not " +
                $"by {expectedRole} {expected} [{expected.Fingerprint}]. {fix}");
    }

    static DataViewSchema.Column Require(DataViewSchema schema, string column, string stage) =>
        schema.GetColumnOrNull(column) ?? throw new ArgumentException(
            $"{stage}: the data has no column '{column}'. Its columns " +
        $"are: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.", nameof(schema));

    /// <summary>The same checks on a <see cref="SchemaShape"/> (pipeline schema propagation).</summary>
    public static void RequireShape(SchemaShape shape, string column, string stage, bool tokens)
    {
        var c = shape.FirstOrDefault(x => x.Name == column);
        if (c.Name is null)
            throw new ArgumentException($"{stage}: the data has no column '{column}'. Its columns " +
                $"are: {string.Join(", ", shape.Select(x => $"'{x.Name}'"))}.", nameof(shape));
        bool ok = tokens
            ? c.Kind != SchemaShape.Column.VectorKind.Scalar && c.ItemType == NumberDataViewType.Int32
            : c.Kind == SchemaShape.Column.VectorKind.Scalar && c.ItemType is TextDataViewType;
        if (!ok)
            throw new ArgumentException(tokens
                ? $"{stage}: column '{column}' is not a vector of Int32 token ids; produce it with " +
                $"TokenizeForLanguageModel."
                : $"{stage}: column '{column}' is not a text (string) column.", nameof(shape));
    }

    /// <summary><paramref name="input"/> plus the columns of <paramref name="added"/>, as a SchemaShape.</summary>
    public static SchemaShape Append(SchemaShape input, IEnumerable<DataViewSchema.DetachedColumn> added)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var c in added) builder.AddColumn(c.Name, c.Type, c.Annotations);
        var result = input.ToDictionary(x => x.Name);
        foreach (var c in ShapeOf(builder.ToSchema())) result[c.Name] = c;
        return new SchemaShape(result.Values);
    }

    // SchemaShape.Column has no public constructor; ML.NET builds shapes from schemas with SchemaShape.Create, which
    // is internal in the pinned Microsoft.ML 5.0.1 (every ML.NET estimator uses it for this very purpose).
    static readonly System.Reflection.MethodInfo? CreateShape = typeof(SchemaShape).GetMethod("Create",
        System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)]);

    internal static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)(CreateShape
        ?? throw new NotSupportedException("This Microsoft.ML version has no SchemaShape.Create(DataViewSchema); use " +
        "the pinned Microsoft.ML 5.0.1."))
            .Invoke(null, [schema])!;
}
