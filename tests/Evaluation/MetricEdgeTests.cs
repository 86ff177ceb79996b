// The metrics where a wrong implementation would still look plausible: documents of unequal length (perplexity and
// bits per byte are token- and byte-weighted over the whole set, not means of per-document figures), multi-byte tokens
// and characters (bytes are the text's UTF-8 bytes, not tokens), and the periodic evaluation's bits per byte (the same
// figure as the final evaluation's when it scores the whole validation set).
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Evaluation;

public class MetricEdgeTests
{
    static readonly string[] Documents =
    [
        "Café.",
        string.Join(" ",
            Enumerable.Range(0, 30).Select(i => $"the quick brown fox {i} jumps over the lazy dog, naïve 中文")),
        "Ok",
    ];

    [Fact]
    public void Perplexity_and_bits_per_byte_weigh_every_token_and_byte_of_unequal_documents_with_multi_byte_tokens()
    {
        var ml = new Microsoft.ML.MLContext(seed: 1);
        var train = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var validation = ml.LowRank().Data.LoadFromTexts(Documents);
        var options = LmPipeline.Options(steps: 12);
        options.Training = options.Training with { EvalEvery = 12, EvalTokens = 0 };
        options.ValidationSet = validation;
        var model = LmPipeline.Build(ml, LmTokenizer.Bpe(300), options).Fit(train);
        using var lm = model.GetLanguageModel();

        var scores = Documents.Select(d => (Score: lm.Score(lm.Tokenizer.Encode(d)),
            Bytes: System.Text.Encoding.UTF8.GetByteCount(d))).ToList();
        foreach (var (score, bytes) in scores) score.Bytes.Should().Be(bytes, "a document's bytes are its UTF-8 bytes");
        long tokens = scores.Sum(s => s.Score.Tokens), totalBytes = scores.Sum(s => s.Bytes);
        tokens.Should().BeLessThan(totalBytes, "BPE tokens hold several bytes");
        double nll = scores.Sum(s => s.Score.NegLogLikelihood);

        var metrics = ml.LowRank().Evaluate(model.Transform(validation));
        metrics.TokenCount.Should().Be(tokens);
        metrics.ByteCount.Should().Be(totalBytes);
        metrics.CrossEntropy.Should().BeApproximately(nll / tokens, 1e-9 * metrics.CrossEntropy);
        metrics.BitsPerByte.Should().BeApproximately(nll / (Math.Log(2) * totalBytes), 1e-9 * metrics.BitsPerByte);
        double meanOfDocuments = scores.Average(s => s.Score.NegLogLikelihood / s.Score.Tokens);
        Math.Abs(meanOfDocuments - metrics.CrossEntropy).Should()
            .BeGreaterThan(1e-3, "the documents differ enough for a per-document mean to be told apart");

        // The periodic evaluation at the last step, over the whole validation set, reports the same bits per byte.
        var last = lm.History[^1];
        last.ValidationBitsPerByte.Should().NotBeNull();
        last.ValidationBitsPerByte!.Value.Should().BeApproximately(metrics.BitsPerByte, 1e-6 * metrics.BitsPerByte);
        last.ValidationPerplexity!.Value.Should().BeApproximately(metrics.Perplexity, 1e-6 * metrics.Perplexity);
    }
}
