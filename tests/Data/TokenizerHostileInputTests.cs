// Saved tokenizers as an attacker or a damaged disk would hand them over: a forged vocabulary length, a cut-short
// vocabulary, a pattern that does not compile and one that backtracks catastrophically. Each must be refused with an
// error naming the problem — never a multi-gigabyte allocation or an Encode that hangs.
using System.Text;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Tests.Data;

public class TokenizerHostileInputTests
{
    /// <summary>256 single-byte tokens in tiktoken's format.</summary>
    static readonly string ByteRanks = string.Join("\n",
        Enumerable.Range(0, 256).Select(i => Convert.ToBase64String([(byte)i]) + " " + i));

    static BinaryReader Saved(int claimedLength, byte[] vocabulary)
    {
        var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(TiktokenLmTokenizer.TrainedWithPatternKind);
            w.Write("forged");
            w.Write(TiktokenLmTokenizer.Gpt2Pattern);
            w.Write(claimedLength);
            w.Write(vocabulary);
        }
        buffer.Position = 0;
        return new BinaryReader(buffer);
    }

    [Fact]
    public void A_forged_vocabulary_length_is_refused_before_anything_is_allocated()
    {
        byte[] ranks = Encoding.UTF8.GetBytes(ByteRanks);
        LmTokenizer.Read(Saved(ranks.Length, ranks)).VocabSize.Should().Be(257, "the honest blob reads");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var huge = () => LmTokenizer.Read(Saved(int.MaxValue, ranks));
        huge.Should().Throw<InvalidDataException>().WithMessage("*claims a vocabulary of 2,147,483,647 bytes*damaged*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should()
            .BeLessThan(16 << 20, "the length is checked before the buffer is allocated");

        var negative = () => LmTokenizer.Read(Saved(-5, ranks));
        negative.Should().Throw<InvalidDataException>().WithMessage("*-5 bytes*");
        var longerThanData = () => LmTokenizer.Read(Saved(ranks.Length + 1, ranks));
        longerThanData.Should().Throw<InvalidDataException>()
            .WithMessage($"*{ranks.Length + 1:N0} bytes (the data holds {ranks.Length:N0})*");
    }

    [Fact]
    public void A_cut_short_vocabulary_on_a_stream_that_cannot_seek_is_refused()
    {
        byte[] ranks = Encoding.UTF8.GetBytes(ByteRanks);
        var full = Saved(ranks.Length, ranks).BaseStream;
        var bytes = ((MemoryStream)full).ToArray()[..^10];
        using var reader = new BinaryReader(new ForwardOnlyStream(new MemoryStream(bytes)));
        var read = () => LmTokenizer.Read(reader);
        read.Should().Throw<InvalidDataException>().WithMessage("*cut short*");
    }

    [Fact]
    public void A_pattern_that_does_not_compile_is_a_damaged_tokenizer()
    {
        var bad = () => TiktokenLmTokenizer.FromRanks("bad", ByteRanks, pattern: "([a-z");
        bad.Should().Throw<InvalidDataException>()
            .WithMessage("Tokenizer 'bad': its pre-tokenizer pattern is not a valid regular expression*");
    }

    [Fact]
    public void A_backtracking_pattern_fails_one_encode_with_a_clear_error_instead_of_hanging()
    {
        var t = TiktokenLmTokenizer.FromRanks("evil", ByteRanks, pattern: "(a+)+$");
        t.Encode("aaa").Should().NotBeEmpty("the pattern works on text where it does not backtrack");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var encode = () => t.Encode(new string('a', 40) + "!");
        encode.Should().Throw<InvalidOperationException>()
            .WithMessage("Tokenizer 'evil': its pre-tokenizer pattern took more than 2 s*backtracks catastrophically*");
        watch.Elapsed.Should()
            .BeLessThan(TimeSpan.FromSeconds(60), "2^40 backtracking steps would take hours without the limit");
    }

    sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set =>
            throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
