// The tokenizer stage's transformer: adds a variable-length Int32 vector column of token ids (no BOS; the trainer adds
// it) computed from a text column, annotated with the tokenizer that made it.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Transformers;

/// <summary>Text → token ids with an <see cref="LmTokenizer"/>.</summary>
public sealed class LmTokenizerTransformer : ITransformer
{
    internal const string Kind = "tokenize";

    internal LmTokenizerTransformer(LmTokenizer tokenizer, string outputColumnName, string inputColumnName)
    {
        Tokenizer = tokenizer;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
    }

    /// <summary>The tokenizer (trained at fit time for BPE).</summary>
    public LmTokenizer Tokenizer { get; }

    /// <summary>The token column added.</summary>
    public string OutputColumnName { get; }

    /// <summary>The text column read.</summary>
    public string InputColumnName { get; }

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        SchemaChecks.RequireText(inputSchema, InputColumnName, "TokenizeForLanguageModel");
        return AppendedColumnsDataView.BuildSchema(inputSchema, new Function(this));
    }

    public IDataView Transform(IDataView input)
    {
        SchemaChecks.RequireText(input.Schema, InputColumnName, "TokenizeForLanguageModel");
        return new AppendedColumnsDataView(input, new Function(this));
    }

    /// <summary>The same columns one row at a time (what <c>mlContext.Model.CreatePredictionEngine</c> uses).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        SchemaChecks.RequireText(inputSchema, InputColumnName, "TokenizeForLanguageModel");
        return new AppendedColumnsMapper(inputSchema, new Function(this));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save(ctx, Kind, w =>
    {
        w.Write(InputColumnName);
        w.Write(OutputColumnName);
        Tokenizer.Write(w);
    });

    internal static LmTokenizerTransformer Read(BinaryReader r)
    {
        string input = r.ReadString(), output = r.ReadString();
        return new LmTokenizerTransformer(LmTokenizer.Read(r), output, input);
    }

    sealed class Function(LmTokenizerTransformer parent) : IRowFunction
    {
        public IReadOnlyList<DataViewSchema.DetachedColumn> Outputs { get; } =
        [
            new DataViewSchema.DetachedColumn(parent.OutputColumnName, new VectorDataViewType(NumberDataViewType.Int32),
                TokenizerRegistry.Annotate(parent.Tokenizer, parent.InputColumnName)),
        ];

        public IReadOnlyList<string> Inputs => [parent.InputColumnName];

        public Action<object?[]> Bind(DataViewRow input)
        {
            var getter = input.GetGetter<ReadOnlyMemory<char>>(input.Schema[parent.InputColumnName]);
            ReadOnlyMemory<char> text = default;
            return values =>
            {
                getter(ref text);
                int[] ids = parent.Tokenizer.Encode(text.ToString());
                values[0] = new VBuffer<int>(ids.Length, ids);
            };
        }
    }
}
