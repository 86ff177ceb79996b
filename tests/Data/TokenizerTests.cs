using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Tests.Data;

public class TokenizerTests
{
    const string Unicode = "naïve café — 中文 🚀 \u0007 end";

    [Fact]
    public void Byte_level_round_trips_and_counts_bytes()
    {
        var t = new ByteLevelTokenizer();
        var ids = t.Encode(Unicode);
        ids.Length.Should().Be(System.Text.Encoding.UTF8.GetByteCount(Unicode));
        t.Decode(ids).Should().Be(Unicode);
        t.BytesPerToken().Sum().Should().Be(256);
        t.ByteLength(t.BosId).Should().Be(0);
    }

    [Theory]
    [InlineData("gpt2", 50257, 50256)]
    [InlineData("cl100k_base", 100277, 100257)]
    [InlineData("o200k_base", 200019, 199999)]
    public void Pretrained_vocabularies_load_from_their_packages(string name, int vocab, int bos)
    {
        var t = TiktokenLmTokenizer.Pretrained(name);
        t.VocabSize.Should().Be(vocab);
        t.BosId.Should().Be(bos);
        var ids = t.Encode(Unicode);
        t.Decode(ids).Should().Be(Unicode);
        ids.Sum(t.ByteLength).Should().Be(System.Text.Encoding.UTF8.GetByteCount(Unicode));
    }

    [Fact]
    public void Decoding_drops_BOS()
    {
        var t = TiktokenLmTokenizer.Pretrained("gpt2");
        t.Decode([t.BosId, .. t.Encode("hello")]).Should().Be("hello");
    }
}
