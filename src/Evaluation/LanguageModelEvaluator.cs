// Sums the per-document score columns of a scored IDataView into LanguageModelMetrics.
using Microsoft.ML;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Evaluation;

/// <summary>Evaluates the output of <see cref="LowRankLmTransformer.Transform"/>.</summary>
public static class LanguageModelEvaluator
{
    public static LanguageModelMetrics Evaluate(IDataView scored)
    {
        var nllCol = Column(scored, LanguageModelColumns.NegLogLikelihood);
        var tokCol = Column(scored, LanguageModelColumns.PredictedTokens);
        var byteCol = Column(scored, LanguageModelColumns.PredictedBytes);
        double nll = 0;
        long tokens = 0, bytes = 0, docs = 0;
        using var cursor = scored.GetRowCursor([nllCol, tokCol, byteCol]);
        var getNll = cursor.GetGetter<double>(nllCol);
        var getTok = cursor.GetGetter<long>(tokCol);
        var getBytes = cursor.GetGetter<long>(byteCol);
        double n = 0;
        long t = 0, b = 0;
        while (cursor.MoveNext())
        {
            getNll(ref n);
            getTok(ref t);
            getBytes(ref b);
            nll += n;
            tokens += t;
            bytes += b;
            docs++;
        }
        if (tokens == 0)
            throw new InvalidOperationException("Evaluate: the scored data predicts no tokens (no documents, or only " +
                "empty ones). Evaluate on a non-empty held-out set.");
        return new LanguageModelMetrics(nll, tokens, bytes, docs);
    }

    static DataViewSchema.Column Column(IDataView data, string name) =>
        data.Schema.GetColumnOrNull(name) ?? throw new ArgumentException(
            $"Evaluate: the data has no column '{name}'. Pass the output of the LowRankLm model's Transform " +
        $"(model.Transform(validation)).", nameof(data));
}
