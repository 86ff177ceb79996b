using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Tests.Data;

public class BpeTrainerTests
{
    static readonly IReadOnlyList<string> BrownSample = BrownCorpus.Load().Take(40).Select(d => d.Text).ToList();

    [Fact]
    public void Vocabulary_has_exactly_the_requested_size_with_BOS_last()
    {
        var bpe = BpeTrainer.Train(BrownSample, 600);
        bpe.VocabSize.Should().Be(600);
        bpe.BosId.Should().Be(599);
        bpe.ByteLength(599).Should().Be(0);
        Enumerable.Range(0, 256).Should().OnlyContain(i => bpe.ByteLength(i) == 1);
        Enumerable.Range(256, 343).Should().OnlyContain(i => bpe.ByteLength(i) >= 2, "every merge joins two tokens");
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var a = BpeTrainer.Train(BrownSample, 500);
        var b = BpeTrainer.Train(BrownSample, 500);
        string text = BrownSample[3];
        a.Encode(text).Should().Equal(b.Encode(text));
        Save(a).Should().Equal(Save(b));
    }

    [Fact]
    public void Merges_compress_the_text_it_learned_from()
    {
        var bpe = BpeTrainer.Train(BrownSample, 1000);
        string text = BrownSample[0];
        bpe.Encode(text).Length.Should().BeLessThan(System.Text.Encoding.UTF8.GetByteCount(text) / 2);
    }

    [Theory]
    [InlineData("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election.")]
    [InlineData("emoji 🚀🎉👩‍👩‍👧 and CJK 中文字符 日本語 한국어")]
    [InlineData("control \u0001\u0002\t\r\n\u007f and NUL \0 and accents: café naïve Ærøskøbing")]
    [InlineData("   leading and trailing spaces   \n\n\n")]
    public void Encode_then_decode_gives_the_text_back(string text)
    {
        var bpe = BpeTrainer.Train(BrownSample, 500);
        bpe.Decode(bpe.Encode(text)).Should().Be(text);
        bpe.Encode(text).Sum(bpe.ByteLength).Should().Be(System.Text.Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public void Every_Brown_document_round_trips()
    {
        var bpe = BpeTrainer.Train(BrownSample, 500);
        foreach (var doc in BrownCorpus.Load().Skip(100).Take(20))
            bpe.Decode(bpe.Encode(doc.Text)).Should().Be(doc.Text);
    }

    [Fact]
    public void Empty_or_whitespace_texts_are_refused()
    {
        FluentActions.Invoking(() => BpeTrainer.Train(["", "   ", "\n\t"],
            300)).Should().Throw<ArgumentException>().WithMessage("*empty or whitespace*");
    }

    [Fact]
    public void Too_little_text_for_the_vocabulary_is_refused_with_the_largest_size_possible()
    {
        FluentActions.Invoking(() => BpeTrainer.Train(["ab ab ab"],
            400)).Should().Throw<ArgumentException>().WithMessage("*lower vocabSize to at most*");
    }

    [Fact]
    public void Saved_tokenizer_reads_back_identical()
    {
        var bpe = BpeTrainer.Train(BrownSample, 400);
        using var stream = new MemoryStream(Save(bpe));
        var back = LmTokenizer.Read(new BinaryReader(stream));
        back.Name.Should().Be(bpe.Name);
        back.Encode(BrownSample[5]).Should().Equal(bpe.Encode(BrownSample[5]));
    }

    static byte[] Save(LmTokenizer t)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) t.Write(w);
        return stream.ToArray();
    }
}
