using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Transformers;
using TorchSharp;

namespace MLNet.LowRank.Tests.Estimators;

public class PipelineTests
{
    [Fact]
    public void Fit_transform_evaluate_reports_perplexity_recomputed_from_the_model_logits()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml).Fit(docs);
        var lm = model.GetLanguageModel();
        var metrics = ml.LowRank().Evaluate(model.Transform(docs));

        // Independently: BOS + bytes of each document, forward over the same windows, log_softmax, sum over targets.
        var tokenizer = new ByteLevelTokenizer();
        double nll = 0;
        long tokens = 0, bytes = 0;
        foreach (string text in LmPipeline.Texts)
        {
            var ids = new[] { tokenizer.BosId }.Concat(tokenizer.Encode(text)).Select(i => (long)i).ToArray();
            for (int start = 0; start < ids.Length - 1; start += 16)
            {
                // The same windows the scorer uses: length ≤ 32, stride 16, each target counted once.
                int length = Math.Min(32, ids.Length - 1 - start);
                int firstCounted = start == 0 ? 1 : start + 16 + 1;
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var logp = lm.Model.forward(torch.tensor(ids[start..(start + length)], 1, length)).log_softmax(-1);
                for (int i = 0; i < length; i++)
                {
                    int position = start + i + 1;
                    if (position < firstCounted) continue;
                    nll -= logp[0, i, ids[position]].item<float>();
                    tokens++;
                }
                if (start + length >= ids.Length - 1) break;
            }
            bytes += System.Text.Encoding.UTF8.GetByteCount(text);
        }
        metrics.TokenCount.Should().Be(tokens);
        metrics.ByteCount.Should().Be(bytes, "non-ASCII characters count all their UTF-8 bytes");
        metrics.Perplexity.Should().BeApproximately(Math.Exp(nll / tokens),
            1e-5 * Math.Exp(nll / tokens), "the same windows, summed independently; float32 logits leave ~1e-6");
        metrics.BitsPerByte.Should().BeApproximately(nll / (Math.Log(2) * bytes), 1e-5 * metrics.BitsPerByte);
        lm.History.Should().HaveCount(15);
        lm.Dispose();
    }

    [Fact]
    public void The_last_periodic_validation_is_the_final_metric_when_it_covers_the_whole_set()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var split = ml.LowRank().Data.SplitByDocument(docs, validationFraction: 0.25);
        var options = LmPipeline.Options(steps: 6);
        options.ValidationSet = split.Validation;
        options.Training = options.Training with { EvalTokens = 0, EvalEvery = 3 };
        var model = LmPipeline.Build(ml, options: options).Fit(split.Train);
        var lm = model.GetLanguageModel();
        var final = ml.LowRank().Evaluate(model.Transform(split.Validation));
        var periodic = lm.Training!.LastPeriodicValidation!;
        periodic.Tokens.Should().Be(final.TokenCount);
        periodic.Bytes.Should().Be(final.ByteCount);
        periodic.CrossEntropy.Should().BeApproximately(final.CrossEntropy, 1e-6 * final.CrossEntropy);
        lm.History.Where(h => h.ValidationLoss is not null).Select(h => h.Step).Should().Equal(3, 6);
        lm.History[^1].ValidationLoss.Should().Be(periodic.CrossEntropy);
        lm.Dispose();
    }

    [Fact]
    public void The_data_order_seed_is_separate_from_the_initialisation_seed()
    {
        double[] Losses(int seed, int? dataSeed)
        {
            var ml = new MLContext(seed: 1);
            var options = LmPipeline.Options(steps: 4);
            options.Seed = seed;
            options.Training = options.Training with { DataSeed = dataSeed };
            var lm = LmPipeline.Build(ml,
                options: options).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts)).GetLanguageModel();
            var losses = lm.History.Select(h => h.TrainLoss).ToArray();
            lm.Dispose();
            return losses;
        }
        Losses(5, null).Should().Equal(Losses(5, 5), "DataSeed defaults to Seed");
        Losses(5, 6).Should().NotEqual(Losses(5, 5), "another data order, the same initial weights");
        Losses(7, 5).Should().NotEqual(Losses(5, 5), "other initial weights, the same data order");
    }

    [Fact]
    public void Bits_per_byte_counts_multi_byte_utf8_with_a_bpe_tokenizer()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, LmTokenizer.Bpe(300)).Fit(docs);
        var metrics = ml.LowRank().Evaluate(model.Transform(docs));
        metrics.ByteCount.Should().Be(LmPipeline.Texts.Sum(t => (long)System.Text.Encoding.UTF8.GetByteCount(t)));
        metrics.ByteCount.Should().BeGreaterThan(LmPipeline.Texts.Sum(t =>
            (long)t.Length), "the texts hold multi-byte characters");
        metrics.BitsPerByte.Should().BeApproximately(metrics.NegLogLikelihood / Math.Log(2) / metrics.ByteCount, 1e-12);
        model.GetLanguageModel().Dispose();
    }

    [Fact]
    public void Save_then_load_gives_identical_metrics_and_greedy_text()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, LmTokenizer.Bpe(300)).Fit(docs);
        string path = Path.Combine(Path.GetTempPath(), $"lm-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, docs.Schema, path);

        var loaded = new MLContext().LowRank().LoadModel(path);
        var before = ml.LowRank().Evaluate(model.Transform(docs));
        var after = ml.LowRank().Evaluate(loaded.Transform(docs));
        after.NegLogLikelihood.Should().Be(before.NegLogLikelihood);
        after.TokenCount.Should().Be(before.TokenCount);
        loaded.GetLanguageModel().Generate("Document", 20,
            temperature: 0).Should().Be(model.GetLanguageModel().Generate("Document", 20, temperature: 0));
        loaded.GetLanguageModel().History.Should().HaveCount(model.GetLanguageModel().History.Count);
        loaded.GetLanguageModel().Summary.TotalParameters.Should().Be(model.GetLanguageModel().Summary.TotalParameters);

        // The stock loader cannot restore weights: it must refuse, naming the right call.
        var ml2 = new MLContext();
        ml2.LowRank();
        // ML.NET builds stages by reflection, so what reaches `catch (Exception e)` is a TargetInvocationException
        // whose own message is .NET's generic one; the useful message is the innermost (README says so).
        FluentActions.Invoking(() => ml2.Model.Load(path, out _)).Should().Throw<Exception>().Which
            .GetBaseException().Message.Should().Contain("mlContext.LowRank().LoadModel(path)");
        // Even without our catalog registered, ML.NET's own error quotes the contract, which names the call.
        AllMessages(FluentActions.Invoking(() => new MLContext().Model.Load(path,
            out _)).Should().Throw<Exception>().Which)
            .Should().Contain("LoadModel(path)");

        model.GetLanguageModel().Dispose();
        loaded.GetLanguageModel().Dispose();
        File.Delete(path);
    }

    static string AllMessages(Exception? e) => e is null ? "" : e.Message + " | " + AllMessages(e.InnerException);

    [Fact]
    public void A_truncated_model_file_is_refused_clearly()
    {
        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, options: LmPipeline.Options(steps: 1)).Fit(docs);
        string path = Path.Combine(Path.GetTempPath(), $"lm-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, docs.Schema, path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        FluentActions.Invoking(() =>
            ml.LowRank().LoadModel(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*truncated or corrupted*");
        model.GetLanguageModel().Dispose();
        File.Delete(path);
    }

    [Fact]
    public void Greedy_generation_is_deterministic_and_sampling_follows_the_seed()
    {
        var ml = new MLContext(seed: 1);
        var model = LmPipeline.Build(ml).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts));
        var lm = model.GetLanguageModel();
        lm.Generate("The", 15, temperature: 0).Should().Be(lm.Generate("The", 15, temperature: 0));
        lm.Generate("The", 15, temperature: 1, topK: 10,
            seed: 5).Should().Be(lm.Generate("The", 15, temperature: 1, topK: 10, seed: 5));
        Enumerable.Range(0,
            5).Select(s => lm.Generate("The", 15, temperature: 1.5,
            seed: s)).Distinct().Count().Should().BeGreaterThan(1);
        lm.Dispose();
    }
}
