using System.Text.Json.Nodes;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Tests.Reliability;

// A manifest is data: one that lists a shard twice (training data doubled, or validation data trained on) or counts
// tokens its shards' headers do not hold is refused, naming the shard.
public class ShardManifestTests
{
    static string Shards(string folder)
    {
        var docs = Enumerable.Range(0,
            60).Select(i =>
            new CorpusDocument($"doc{i}", "", $"Document {i}: some words to tokenize, {i * 7} of them."));
        TokenShards.Write(docs, LmTokenizer.Bytes().Create([]), folder, ["test"],
            new TokenizeOptions { ValidationFraction = 0.2, ShardTokens = 1024 });
        return folder;
    }

    static void Edit(string folder, Action<JsonObject> edit)
    {
        string path = Path.Combine(folder, ShardManifest.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void A_shard_listed_twice_or_in_both_splits_is_refused()
    {
        using var temp = new TempDirectory("manifest-");
        string dir = Shards(Path.Combine(temp.Path, "s"));
        TokenShards.Open(dir, "train", out _).Dispose();
        Edit(dir, m =>
        {
            var shards = m["Shards"]!.AsArray();
            var train = shards.First(s => (string)s!["Split"]! == "train")!.DeepClone().AsObject();
            train["Split"] = "validation";
            shards.Add(train);
        });
        FluentActions.Invoking(() =>
            ShardManifest.Read(dir)).Should().Throw<InvalidDataException>()
            .WithMessage("*is listed 2 times (train and validation)*");
    }

    [Fact]
    public void Token_counts_that_disagree_with_the_shard_headers_are_refused()
    {
        using var temp = new TempDirectory("manifest-");
        string dir = Shards(Path.Combine(temp.Path, "s"));
        Edit(dir, m =>
        {
            var first = m["Shards"]!.AsArray().First(s => (string)s!["Split"]! == "train")!;
            first["Tokens"] = (long)first["Tokens"]! * 2;
        });
        FluentActions.Invoking(() => TokenShards.Open(dir, "train",
            out _)).Should().Throw<InvalidDataException>().WithMessage("*the manifest counts*but its header says*");
    }
}
