using System.IO.Compression;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Tests.Experiments;

namespace MLNet.LowRank.Tests.Reliability;

public class BadInputTests
{
    [Fact]
    public void A_validation_set_tokenized_by_another_tokenizer_is_refused()
    {
        var ml = new MLContext(1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var otherTokens = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Bytes()).Fit(docs).Transform(docs);
        var options = LmPipeline.Options(steps: 2);
        options.ValidationSet = otherTokens;
        FluentActions.Invoking(() => LmPipeline.Build(ml, LmTokenizer.Bpe(300), options).Fit(docs))
            .Should().Throw<ArgumentException>()
            .WithMessage("*ValidationSet: column 'Tokens' was tokenized by bytes*not by the training data's " +
            "tokenizer bpe-300*");
    }

    [Fact]
    public void Transform_and_evaluate_refuse_tokens_of_another_tokenizer_naming_both()
    {
        var ml = new MLContext(1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, LmTokenizer.Bpe(300), LmPipeline.Options(steps: 2)).Fit(docs);
        var lm = model.GetLanguageModel();
        var byteTokens = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Bytes()).Fit(docs).Transform(docs);
        FluentActions.Invoking(() => ml.LowRank().Evaluate(lm.Transform(byteTokens)))
            .Should().Throw<ArgumentException>()
            .WithMessage("*column 'Tokens' was tokenized by bytes*not by this model's tokenizer bpe-300*");
        // A BPE trained on other text has the same name and size, and other merges: refused as well.
        var otherBpe = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Bpe(300))
            .Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts.Select(t =>
            new string(t.Reverse().ToArray())))).Transform(docs);
        FluentActions.Invoking(() =>
            lm.Transform(otherBpe)).Should().Throw<ArgumentException>().WithMessage("*bpe-300*bpe-300*");
        // The model's own pipeline, and a saved and reloaded copy of it (another tokenizer object, the same tokenizer),
        // score.
        ml.LowRank().Evaluate(model.Transform(docs)).Perplexity.Should().BeGreaterThan(1);
        string path = Path.Combine(Path.GetTempPath(), $"tok-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, docs.Schema, path);
        var loaded = ml.LowRank().LoadModel(path);
        ml.LowRank().Evaluate(lm.Transform(loaded.Transform(docs))).Perplexity.Should().BeGreaterThan(1);
        loaded.GetLanguageModel().Dispose();
        lm.Dispose();
        File.Delete(path);
    }

    [Fact]
    public void A_model_zip_of_a_newer_format_is_refused_naming_the_upgrade()
    {
        var ml = new MLContext(1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, options: LmPipeline.Options(steps: 1)).Fit(docs);
        string path = Path.Combine(Path.GetTempPath(), $"newer-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, docs.Schema, path);
        model.GetLanguageModel().Dispose();
        // Rewrite the format version of every stage to 99.
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            foreach (var entry in zip.Entries.Where(e => e.Name == "LowRank.bin").ToList())
            {
                byte[] bytes;
                using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
                int versionAt = 1 + "MLNet.LowRank model".Length; // BinaryWriter string: 1-byte length + UTF-8
                BitConverter.GetBytes(99).CopyTo(bytes, versionAt);
                string name = entry.FullName;
                entry.Delete();
                using var w = zip.CreateEntry(name).Open();
                w.Write(bytes);
            }
        FluentActions.Invoking(() =>
            ml.LowRank().LoadModel(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*model format 99*Upgrade MLNet.LowRank*");
        File.Delete(path);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_refused()
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, "not a zip");
        FluentActions.Invoking(() =>
            new MLContext().LowRank().LoadModel(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*truncated or corrupted*");
        File.Delete(path);
    }

    [Fact]
    public void A_sweep_config_value_of_the_wrong_type_names_its_key()
    {
        using var sweep = SweepFixture.Create(extra: ", \"trialSteps\": \"many\"");
        string dir = sweep.Path;
        var (code,
            output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", Path.Combine(dir, "run"));
        code.Should().NotBe(0);
        output.Should().Contain("\"trialSteps\": expected a number, got String");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_baseline_option_misspelt_in_the_config_names_the_closest()
    {
        using var sweep = SweepFixture.Create();
        string dir = sweep.Path;
        string config = File.ReadAllText(Path.Combine(dir, "sweep.json")).Replace("\"ModelDim\"", "\"ModelDm\"");
        File.WriteAllText(Path.Combine(dir, "sweep.json"), config);
        var (code,
            output) = SweepFixture.Run(dir, "sweep", "--config", "sweep.json", "--run-dir", Path.Combine(dir, "run"));
        code.Should().NotBe(0);
        output.Should().Contain("unknown option \"ModelDm\"").And.Contain("did you mean 'ModelDim'");
        Directory.Delete(dir, true);
    }
}
