// `mlContext.LowRank().Transforms.GenerateText(model, "Completion", "Prompt", options)`: nothing to learn, so Fit only
// checks the prompt column and returns the transformer.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Generation;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Estimators;

/// <summary>Estimator of <see cref="TextGenerationTransformer"/>.</summary>
public sealed class TextGenerationEstimator : IEstimator<TextGenerationTransformer>
{
    readonly LowRankLmTransformer model;
    readonly string outputColumnName, inputColumnName;
    readonly GenerationOptions options;

    internal TextGenerationEstimator(LowRankLmTransformer model, string outputColumnName, string inputColumnName,
        GenerationOptions? options)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
        this.options = options ?? new GenerationOptions();
        this.options.Validate();
    }

    public TextGenerationTransformer Fit(IDataView input)
    {
        SchemaChecks.RequireText(input.Schema, inputColumnName, TextGenerationTransformer.Stage);
        return new TextGenerationTransformer(model, outputColumnName, inputColumnName, options, ownsModel: false);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.RequireShape(inputSchema, inputColumnName, TextGenerationTransformer.Stage, tokens: false);
        return SchemaChecks.Append(inputSchema,
            [new DataViewSchema.DetachedColumn(outputColumnName, TextDataViewType.Instance)]);
    }
}
