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

    /// <summary>Runs <paramref name="read"/> with a deadline: a reader that blocked on a FIFO would otherwise hang the suite.</summary>
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
        Refusal(() => ml.LowRank().LoadModel(Fifo(temp.Path, "model.zip"))).Message.Should().Contain("model file").And.Contain("is a FIFO");
        Refusal(() => LmTokenizer.FromTiktokenFile(Fifo(temp.Path, "ranks.tiktoken"))).Message.Should().Contain("tiktoken file").And.Contain("is a FIFO");
        string shards = Directory.CreateDirectory(Path.Combine(temp.Path, "shards")).FullName;
        Fifo(shards, ShardManifest.FileName);
        Refusal(() => ShardManifest.Read(shards)).Message.Should().Contain("shard manifest").And.Contain("is a FIFO");
        string corpus = Directory.CreateDirectory(Path.Combine(temp.Path, "corpus")).FullName;
        Fifo(corpus, "a.txt");
        Refusal(() => CorpusReaders.TextFiles(corpus)).Message.Should().Contain("text file").And.Contain("is a FIFO");
        Refusal(() => CorpusReaders.Jsonl(Fifo(temp.Path, "docs.jsonl")).ToList()).Message.Should().Contain("JSONL file").And.Contain("is a FIFO");
    }

    [Fact]
    public void A_device_a_folder_and_an_oversized_text_file_are_refused_before_a_byte_is_read()
    {
        using var temp = new TempDirectory("special-");
        if (OperatingSystem.IsLinux())
            Refusal(() => LmTokenizer.FromTiktokenFile("/dev/zero")).Message.Should().Contain("is a character device");
        Refusal(() => new MLContext(1).LowRank().LoadModel(temp.Path)).Message.Should().Contain("is a folder");
        // A sparse file: 600 MiB long, no disk used, and refused from its length alone.
        string big = Path.Combine(temp.Path, "big.txt");
        using (var f = File.Create(big)) f.SetLength(CorpusReaders.MaxTextFileBytes + 1);
        var clock = Stopwatch.StartNew();
        Refusal(() => CorpusReaders.TextFiles(big)).Message.Should().Contain("more than the").And.Contain("text file");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "refused from its length, not after reading it");
    }
}
