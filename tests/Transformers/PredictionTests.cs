using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Generation;
using MLNet.LowRank.Tests.Generation;
using MLNet.LowRank.Transformers;
using TorchSharp;

namespace MLNet.LowRank.Tests.Transformers;

public class PredictionTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    public sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    public sealed class ScoreRow
    {
        public double NegLogLikelihood { get; set; }
        public long PredictedTokens { get; set; }
        public long PredictedBytes { get; set; }
        [VectorType] public float[] TokenLogProbabilities { get; set; } = [];
    }

    public sealed class PromptRow
    {
        public string Prompt { get; set; } = "";
    }

    public sealed class CompletionRow
    {
        public string Prompt { get; set; } = "";
        public string Completion { get; set; } = "";
    }

    /// <summary>ln p of each token of <paramref name="ids"/> (BOS first) after the tokens before it, from one forward
    /// pass.</summary>
    double[] LogProbabilities(long[] ids)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logp = fixture.Lm.Model.forward(torch.tensor(ids, 1, ids.Length)).log_softmax(-1);
        return Enumerable.Range(1, ids.Length - 1).Select(i => (double)logp[0, i - 1, ids[i]].item<float>()).ToArray();
    }

    [Fact]
    public void Scoring_refuses_a_token_id_outside_the_vocabulary_before_the_model_runs()
    {
        int vocab = fixture.Lm.Model.Config.VocabSize;
        fixture.Lm.Score([1, 2, vocab - 2,
            vocab - 1]).Tokens.Should()
                .Be(3, "ids up to the last row are accepted (the last, BOS, is not a predicted target)");
        var past = () => fixture.Lm.Score([1, 2, vocab]);
        past.Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage($"Token id {vocab} at position 2 is outside this model's vocabulary (0 … {vocab - 1})*own " +
            $"tokenizer*");
        var negative = () => fixture.Lm.ScoreTokens([-1]);
        negative.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Token id -1 at position 0*");
    }

    [Fact]
    public void A_model_whose_tokenizer_has_more_ids_than_its_embedding_rows_is_refused()
    {
        var config = fixture.Lm.Model.Config with { VocabSize = 100 };
        var model = MLNet.LowRank.Model.Gpt.Create(config, seed: 1);
        try
        {
            var build = () => new LowRankLmTransformer(model, fixture.Lm.Tokenizer, fixture.Lm.TokensColumnName,
                training: null);
            build.Should().Throw<InvalidDataException>()
                .WithMessage($"The model's tokenizer '{fixture.Lm.Tokenizer.Name}' " +
                $"has {fixture.Lm.Tokenizer.VocabSize:N0} ids but its embedding has 100 rows*");
        }
        finally { model.Dispose(); }
    }

    [Fact]
    public void PredictionEngine_scores_a_document_token_by_token_from_the_model_logits()
    {
        using var engine = fixture.Ml.Model.CreatePredictionEngine<TextRow, ScoreRow>(fixture.Pipeline,
            new PredictionEngineOptions { OwnsTransformer = false }); // the fixture's model outlives it
        const string text = "Café the fox";
        var score = engine.Predict(new TextRow { Text = text });
        var ids =
            new long[] { fixture.Lm.Tokenizer.BosId }.Concat(fixture.Lm.Tokenizer.Encode(text).Select(i =>
            (long)i)).ToArray();
        var expected = LogProbabilities(ids);
        score.TokenLogProbabilities.Should().HaveCount(expected.Length);
        score.TokenLogProbabilities.Select(v => (double)v).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
        score.NegLogLikelihood.Should().BeApproximately(-expected.Sum(), 1e-4);
        score.PredictedTokens.Should().Be(expected.Length);
        score.PredictedBytes.Should().Be(System.Text.Encoding.UTF8.GetByteCount(text));
        engine.Predict(new TextRow { Text = "the quick brown" }).PredictedTokens.Should()
            .Be(15, "a second prediction is computed afresh, not cached from the first");
    }

    [Fact]
    public void ScoreContinuation_matches_the_model_logits_and_knows_a_greedy_continuation()
    {
        var lm = fixture.Lm;
        const string prompt = "Document 7: the", continuation = " quick brown";
        var score = lm.ScoreContinuation(prompt, continuation);
        var ids =
            new long[] { lm.Tokenizer.BosId }.Concat(lm.Tokenizer.Encode(prompt + continuation).Select(i =>
            (long)i)).ToArray();
        var expected = LogProbabilities(ids)[^continuation.Length..];
        score.TokenIds.Should().HaveCount(continuation.Length);
        score.TokenLogProbabilities.Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
        score.LogProbability.Should().BeApproximately(expected.Sum(), 1e-4);
        score.Bytes.Should().Be(continuation.Length);

        string greedy = lm.Generate(prompt,
            new GenerationOptions { MaxNewTokens = 6, Temperature = 0, StopAtEndOfDocument = false }).Text;
        lm.ScoreContinuation(prompt, greedy).IsGreedy.Should().BeTrue();
        var other = lm.ScoreContinuation(prompt, "#%&!@~");
        other.IsGreedy.Should().BeFalse();
        other.LogProbability.Should().BeLessThan(lm.ScoreContinuation(prompt, greedy).LogProbability);
    }

    [Fact]
    public void GenerateText_completes_prompts_through_Transform_and_PredictionEngine_and_after_save_and_load()
    {
        var ml = fixture.Ml;
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = 0.9, Seed = 4, StopSequences = ["."] };
        var prompts = ml.Data.LoadFromEnumerable(new[] { new PromptRow { Prompt = "Document 1:" },
            new PromptRow { Prompt = "the lazy" } });
        var generator = ml.LowRank().Transforms.GenerateText(fixture.Lm, "Completion", "Prompt", options).Fit(prompts);
        var rows = ml.Data.CreateEnumerable<CompletionRow>(generator.Transform(prompts),
            reuseRowObject: false).ToList();
        rows.Select(r => r.Completion).Should().Equal(fixture.Lm.Generate(["Document 1:", "the lazy"],
            options).Select(g => g.Text));
        rows.Should().OnlyContain(r => r.Completion.Length > 0 && !r.Completion.Contains('.'));

        using var engine = ml.Model.CreatePredictionEngine<PromptRow, CompletionRow>(generator,
            new PredictionEngineOptions { OwnsTransformer = false });
        engine.Predict(new PromptRow { Prompt = "the lazy" }).Completion.Should().Be(rows[1].Completion);

        string path = Path.Combine(Path.GetTempPath(), $"generate-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(generator, prompts.Schema, path);
            using var loaded = (TextGenerationTransformer)ml.LowRank().LoadModel(path, out var schema);
            schema!.GetColumnOrNull("Prompt").Should()
                .NotBeNull("the input schema comes back as with mlContext.Model.Load");
            loaded.Options.Should().BeEquivalentTo(options);
            using var reloaded = ml.Model.CreatePredictionEngine<PromptRow, CompletionRow>(loaded,
                new PredictionEngineOptions { OwnsTransformer = false });
            reloaded.Predict(new PromptRow { Prompt = "the lazy" }).Completion.Should().Be(rows[1].Completion);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_model_loads_from_a_stream_with_its_input_schema_and_a_damaged_stream_is_named()
    {
        var ml = fixture.Ml;
        var docs = ml.LowRank().Data.LoadFromTexts(["a"]);
        var bytes = new MemoryStream();
        ml.Model.Save(fixture.Pipeline, docs.Schema, bytes);
        bytes.Position = 0;
        var loaded = ml.LowRank().LoadModel(bytes, out var schema);
        schema!.Select(c => c.Name).Should().Contain("Text");
        using (var lm = loaded.GetLanguageModel())
            lm.Generate("The", 10, temperature: 0).Should().Be(fixture.Lm.Generate("The", 10, temperature: 0));

        var act0 = () => loaded.GetLanguageModel().Generate("The", 5);
        act0.Should().Throw<ObjectDisposedException>()
            .WithMessage("*ownsTransformer*", "a disposed model says so instead of saving or running without weights");

        var damaged = new MemoryStream(bytes.ToArray()[..(int)(bytes.Length / 2)]);
        var act = () => ml.LowRank().LoadModel(damaged);
        act.Should().Throw<InvalidDataException>().WithMessage("*the model stream*");
    }
}
