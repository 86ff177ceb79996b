using System.Text;
using MLNet.LowRank.Data;

namespace MLNet.LowRank.Tests.Data;

public class CorpusTests
{
    [Fact]
    public void Brown_is_embedded_with_500_samples_in_15_genres()
    {
        var docs = BrownCorpus.Load();
        docs.Should().HaveCount(500);
        docs.Select(d => d.Group).Distinct().Should().HaveCount(15);
        docs[0].Text.Should().StartWith("The Fulton County Grand Jury");
    }

    [Fact]
    public void Brown_split_is_deterministic_disjoint_and_covers_every_genre()
    {
        var docs = BrownCorpus.Load();
        var (train, valid) = DocumentSplit.ByGroup(docs, 0.1);
        var (train2, valid2) = DocumentSplit.ByGroup(docs, 0.1);
        valid.Select(d => d.Id).Should().Equal(valid2.Select(d => d.Id));
        train.Count.Should().Be(train2.Count);
        (train.Count + valid.Count).Should().Be(500);
        train.Select(d => d.Id).Intersect(valid.Select(d => d.Id)).Should().BeEmpty();
        valid.Select(d => d.Group).Distinct().Should().HaveCount(15);
        valid.Count.Should().BeInRange(45, 55);
    }

    [Fact]
    public void Hash_split_is_stable_and_keeps_both_sides_non_empty()
    {
        var docs = Enumerable.Range(0, 50).Select(i => new CorpusDocument($"doc{i}", "", $"text {i}")).ToList();
        var (train, valid) = DocumentSplit.ByHash(docs, 0.2);
        DocumentSplit.ByHash(docs.AsEnumerable().Reverse().ToList(),
            0.2).Validation.Select(d =>
            d.Id).Should().Equal(valid.Select(d => d.Id), "the split depends on ids, not order");
        valid.Count.Should().BeInRange(3, 20);
        var two = DocumentSplit.ByHash(docs.Take(2).ToList(), 0.1);
        (two.Train.Count, two.Validation.Count).Should().Be((1, 1));
    }

    [Fact]
    public void Jsonl_reads_a_configurable_text_field_and_names_a_missing_one()
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, "{\"id\": \"a\", \"body\": \"first\"}\n\n{\"id\": \"b\", \"body\": \"second\"}\n");
        var docs = CorpusReaders.Jsonl(path, textField: "body");
        docs.Select(d => (d.Id, d.Text)).Should().Equal(("a", "first"), ("b", "second"));
        FluentActions.Invoking(() =>
            CorpusReaders.Jsonl(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*line 1: no string field 'text'*'body'*");
        File.Delete(path);
    }

    [Fact]
    public void Text_files_that_are_not_utf8_name_the_file_and_offset()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(dir, "good.txt"), "fine text");
        File.WriteAllBytes(Path.Combine(dir, "bad.txt"), [.. Encoding.ASCII.GetBytes("abc"), 0xC3, 0x28]);
        FluentActions.Invoking(() =>
            CorpusReaders.TextFiles(dir)).Should().Throw<InvalidDataException>()
            .WithMessage("*bad.txt: byte offset 3 is not valid UTF-8*");
        File.Delete(Path.Combine(dir, "bad.txt"));
        CorpusReaders.TextFiles(Path.Combine(dir, "*.txt")).Single().Text.Should().Be("fine text");
        Directory.Delete(dir, true);
    }
}
