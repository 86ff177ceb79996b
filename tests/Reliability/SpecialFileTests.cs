using System.Diagnostics;
using Microsoft.ML;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Tests.Reliability;

// A FIFO, a device, a folder or a file too large for its kind, given where a file is expected: a clear refusal naming
// what it is, at once — never a read without end (/dev/zero once ran a corpus read out of memory at 4.1 GB) or an open
// that blocks until a writer comes (a FIFO once hung `train` until it was killed).
public class SpecialFileTests
{
    static string Fifo(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        Process.Start("mkfifo", [path])!.WaitForExit();
        File.Exists(path).Should().BeTrue("mkfifo made the FIFO");
        return path;
    }

    /// <summary>Runs <paramref name="read"/> with a deadline: a reader that blocked on a FIFO would otherwise hang the
    /// suite.</summary>
    static Exception Refusal(Action read)
    {
        var task = Task.Run(read);
        try
        {
            task.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue("the refusal comes at once, not after a blocked open");
        }
        catch (AggregateException e) { return e.InnerException!; }
        throw new InvalidOperationException("the file was accepted");
    }

    [Fact]
    public void Every_user_file_reader_refuses_a_FIFO_by_name()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var temp = new TempDirectory("fifo-");
        var ml = new MLContext(1);
        Refusal(() =>
            ml.LowRank().LoadModel(Fifo(temp.Path, "model.zip"))).Message.Should().Contain("model file").And
            .Contain("is a FIFO");
        Refusal(() =>
            LmTokenizer.FromTiktokenFile(Fifo(temp.Path, "ranks.tiktoken"))).Message.Should()
            .Contain("tiktoken file").And.Contain("is a FIFO");
        string shards = Directory.CreateDirectory(Path.Combine(temp.Path, "shards")).FullName;
        Fifo(shards, ShardManifest.FileName);
        Refusal(() => ShardManifest.Read(shards)).Message.Should().Contain("shard manifest").And.Contain("is a FIFO");
        string corpus = Directory.CreateDirectory(Path.Combine(temp.Path, "corpus")).FullName;
        Fifo(corpus, "a.txt");
        Refusal(() => CorpusReaders.TextFiles(corpus)).Message.Should().Contain("text file").And.Contain("is a FIFO");
        Refusal(() =>
            CorpusReaders.Jsonl(Fifo(temp.Path, "docs.jsonl")).ToList()).Message.Should().Contain("JSONL file").And
            .Contain("is a FIFO");
    }

    [Fact]
    public void A_device_and_a_folder_are_refused_at_once()
    {
        using var temp = new TempDirectory("special-");
        if (OperatingSystem.IsLinux())
            Refusal(() => LmTokenizer.FromTiktokenFile("/dev/zero")).Message.Should().Contain("is a character device");
        Refusal(() => new MLContext(1).LowRank().LoadModel(temp.Path)).Message.Should().Contain("is a folder");
        if (OperatingSystem.IsLinux())
            Refusal(() =>
                CorpusReaders.EnumerateTextFiles("/dev/zero", "*").First()).Message.Should()
                .Contain("is a character device");
    }

    [Fact]
    public void A_text_file_larger_than_a_chunk_streams_as_pieces_cut_at_line_breaks_that_join_back_to_the_file()
    {
        using var temp = new TempDirectory("chunks-");
        // Lines of mixed width, one line far longer than the slack, and multi-byte characters everywhere.
        var text = string.Concat(Enumerable.Range(0,
            3000).Select(i => $"line {i}: café naïve 中文 {(i % 97 == 0 ? "🚀" : "")}\n"))
            + new string('é', 5000) + "\nend";
        string file = Path.Combine(temp.Path, "big.txt");
        File.WriteAllText(file, text);
        var pieces = CorpusReaders.EnumerateTextFiles(file, "*.txt", chunkBytes: 4096).ToList();
        pieces.Count.Should().BeGreaterThan(10);
        pieces.Select(p => p.Id).Should().Equal(pieces.Select((_, k) => $"big.txt#{k}"));
        string.Concat(pieces.Select(p =>
            p.Text)).Should().Be(text, "the pieces are the file, cut nowhere inside a character");
        pieces.SkipLast(1).Where(p => !p.Text.Contains(new string('é',
            100))).Should().OnlyContain(p => p.Text.EndsWith('\n'), "cut after a line break where one is near");
        pieces.Should().OnlyContain(p => System.Text.Encoding.UTF8.GetByteCount(p.Text) <= 4096 * 2);
        CorpusReaders.EnumerateTextFiles(file, "*.txt",
            chunkBytes: 1 << 20).Single().Id.Should().Be("big.txt", "a file within one chunk is one document");
    }
}
