using Microsoft.ML;
using Microsoft.ML.Tokenizers;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Data;

public class TokenizerInteropTests
{
    static readonly string[] Samples =
        ["naïve café — 中文 🚀 end", "The quick brown fox's 12,345 jumps.\n\n  Indented  text", ""];

    static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), $"tok-{Guid.NewGuid():N}{extension}");

    [Fact]
    public void A_trained_BPE_round_trips_through_a_tiktoken_file()
    {
        var trained = BpeTrainer.Train(LmPipeline.Texts.Concat(Samples).ToList(), 300);
        string path = TempFile(".tiktoken");
        try
        {
            trained.SaveTiktoken(path);
            var lines = File.ReadAllLines(path);
            lines.Should().HaveCount(trained.VocabSize - 1, "one line per token of the vocabulary, BOS excluded");
            lines.Select((l,
                i) => l.Split(' ')[1] == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Should()
                .AllSatisfy(ok => ok.Should().BeTrue());
            var back = LmTokenizer.FromTiktokenFile(path, name: trained.Name);
            back.SameAs(trained).Should().BeTrue("the same ranks, name and pattern make the same tokenizer");
            back.BosId.Should().Be(trained.BosId);
            foreach (string s in Samples.Concat(LmPipeline.Texts.Take(3)))
            {
                back.Encode(s).Should().Equal(trained.Encode(s));
                back.Decode(back.Encode(s)).Should().Be(s);
            }
            back.BytesPerToken().Should().Equal(trained.BytesPerToken());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_pretrained_vocabulary_exports_to_tiktoken_and_reads_back_identically()
    {
        var gpt2 = TiktokenLmTokenizer.Pretrained("gpt2");
        string path = TempFile(".tiktoken");
        try
        {
            gpt2.SaveTiktoken(path);
            var back = LmTokenizer.FromTiktokenFile(path);
            back.Name.Should().Be(Path.GetFileNameWithoutExtension(path));
            back.VocabSize.Should().Be(50257);
            back.BosId.Should().Be(50256);
            foreach (string s in Samples) back.Encode(s).Should().Equal(gpt2.Encode(s));
            back.BytesPerToken().Should().Equal(gpt2.BytesPerToken());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_malformed_tiktoken_file_is_named()
    {
        string path = TempFile(".tiktoken");
        try
        {
            File.WriteAllText(path, "SGVsbG8= 0\nnot base64!! 1\n");
            var act = () => LmTokenizer.FromTiktokenFile(path);
            act.Should().Throw<InvalidDataException>().WithMessage("*malformed*base64 token, a space and its rank*");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Any_Microsoft_ML_tokenizer_trains_saves_and_loads_when_registered()
    {
        var inner = TiktokenTokenizer.CreateForModel("gpt2");
        var external = LmTokenizer.FromTokenizer(inner, bosId: 50256, name: "test-gpt2-external", vocabSize: 50257);
        foreach (string s in Samples) external.Encode(s).Should().Equal(inner.EncodeToIds(s).ToArray());
        external.Decode(external.Encode("hello world")).Should().Be("hello world");
        external.ByteLength(external.Encode(" world")[0]).Should().Be(6);

        var ml = new MLContext(seed: 1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, LmTokenizer.Use(external), LmPipeline.Options(steps: 2)).Fit(docs);
        string path = TempFile(".zip");
        try
        {
            ml.Model.Save(model, docs.Schema, path);
            using (var loaded = ml.LowRank().LoadModel(path).GetLanguageModel())
            {
                loaded.Tokenizer.Should().BeSameAs(external, "the registered tokenizer is found by name");
                loaded.Generate("The", 5,
                    temperature: 0).Should().Be(model.GetLanguageModel().Generate("The", 5, temperature: 0));
            }

            // Another vocabulary registered under the same name is refused: its ids would mean other text.
            var other = () => LmTokenizer.FromTokenizer(TiktokenTokenizer.CreateForEncoding("cl100k_base"),
                bosId: 100257, name: "test-gpt2-external", vocabSize: 100277);
            other.Should().Throw<ArgumentException>()
                .WithMessage("*'test-gpt2-external' is registered already with another vocabulary*choose another " +
                "name*");
            using (var again = ml.LowRank().LoadModel(path).GetLanguageModel())
                again.Tokenizer.Should().BeSameAs(external, "the refused registration changed nothing");
            // The same vocabulary wrapped again takes the name over.
            var rewrapped = LmTokenizer.FromTokenizer(TiktokenTokenizer.CreateForModel("gpt2"), bosId: external.BosId,
                name: "test-gpt2-external", vocabSize: external.VocabSize);
            using (var third = ml.LowRank().LoadModel(path).GetLanguageModel())
                third.Tokenizer.Should().BeSameAs(rewrapped);
        }
        finally
        {
            LmTokenizer
                .Register(external);   // the registry is process-wide: leave the name on the tokenizer this test registered, pass or fail
            File.Delete(path);
            model.GetLanguageModel().Dispose();
        }

        // A model naming a tokenizer nobody registered says which registration is missing.
        var read = () => LmTokenizer.Read(ExternalBlob("never-registered", 1000, 999));
        read.Should().Throw<InvalidDataException>()
            .WithMessage("*'never-registered'*not registered*LmTokenizer.Register*");

        // A model saved in another process whose tokenizer had this name but another vocabulary is refused on load.
        var mismatch = () => LmTokenizer.Read(ExternalBlob("test-gpt2-external", 50257, 50256));
        mismatch.Should().Throw<InvalidDataException>()
            .WithMessage("*'test-gpt2-external'*not the one this model was trained with*");
    }

    /// <summary>A saved external tokenizer's data: its name, vocabulary size, BOS id and a vocabulary hash no real one
    /// has.</summary>
    static BinaryReader ExternalBlob(string name, int vocab, int bos)
    {
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write("external"); w.Write(name); w.Write(vocab); w.Write(bos); w.Write(42UL);
        }
        bytes.Position = 0;
        return new BinaryReader(bytes);
    }
}
