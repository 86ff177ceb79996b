// A model file is untrusted input. Crafted zips whose language-model stage claims huge dimensions, negative counts or
// the wrong number of weights are refused with a message, before any large allocation, and a good file still loads.
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using MLNet.LowRank.Tests.Estimators;

namespace MLNet.LowRank.Tests.Reliability;

[Collection(SerialCollection.Name)]
public class CraftedModelFileTests
{
    /// <summary>Saves a tiny byte-level model; returns the path and the offset of the GPT configuration inside the
    /// language-model stage's entry (after the stage header, the token column name and the tokenizer).</summary>
    static (string Path, string Entry, int ConfigAt) SaveTinyModel()
    {
        var ml = new MLContext(1);
        var docs = ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts);
        var model = LmPipeline.Build(ml, options: LmPipeline.Options(steps: 1)).Fit(docs);
        string path = Path.Combine(Path.GetTempPath(), $"crafted-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, docs.Schema, path);
        model.GetLanguageModel().Dispose();
        using var zip = ZipFile.OpenRead(path);
        foreach (var entry in zip.Entries.Where(e => e.Name == "LowRank.bin"))
        {
            using var stream = new MemoryStream(ReadAll(entry));
            using var r = new BinaryReader(stream, Encoding.UTF8);
            r.ReadString(); r.ReadInt32();                 // magic, format version
            if (r.ReadString() != "lm") continue;          // the tokenizer stage
            r.ReadString();                                // token column
            r.ReadString().Should().Be("bytes");           // the byte tokenizer writes only its kind
            return (path, entry.FullName, (int)stream.Position);
        }
        throw new InvalidOperationException("no language-model stage in the saved zip");
    }

    static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    static void Patch(string path, string entryName, Action<byte[]> edit)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry(entryName)!;
        byte[] bytes = ReadAll(entry);
        edit(bytes);
        entry.Delete();
        using var w = zip.CreateEntry(entryName).Open();
        w.Write(bytes);
    }

    // Configuration layout: vocab, depth, dim, head dim, sequence length, MLP ratio (int32 each), then the rest.
    [Theory]
    [InlineData(2, 65_536,
        1_000, "*2 per-block ranks for depth 1000*")]  // width 65,536, depth 1,000: the rank lists give it away
    [InlineData(2, 65_536,
        -1, "*claims*parameters*holds only*")]          // width 65,536 alone: ~54 M weights in a file of kilobytes
    [InlineData(0, 4_000_000,
        -1, "*claims*parameters*holds only*")]       // a plausible vocabulary, far more weights than bytes
    [InlineData(1, -5, -1, "*Depth = -5*")]                               // a negative depth
    [InlineData(0, 100_000_000, -1, "*VocabSize = 100,000,000*")]         // a vocabulary past the bound
    [InlineData(4, 1 << 25, -1, "*SequenceLength × HeadDim*")]            // rotary tables of 2 GB
    public void A_configuration_that_claims_more_than_the_file_holds_is_refused_before_allocating(int field, int value,
        int depth, string message)
    {
        var (path, entry, at) = SaveTinyModel();
        Patch(path, entry, bytes =>
        {
            BitConverter.GetBytes(value).CopyTo(bytes, at + 4 * field);
            if (depth > 0) BitConverter.GetBytes(depth).CopyTo(bytes, at + 4);
        });
        long before = Process.GetCurrentProcess().WorkingSet64;
        var ml = new MLContext(1);
        FluentActions.Invoking(() =>
            ml.LowRank().LoadModel(path)).Should().Throw<InvalidDataException>().WithMessage(message);
        (Process.GetCurrentProcess().WorkingSet64 - before).Should()
            .BeLessThan(200L << 20, "nothing the claim asked for was allocated");
        File.Delete(path);
    }

    [Fact]
    public void A_weight_count_that_differs_from_the_configuration_is_refused_and_a_good_file_loads()
    {
        var (path, entry, _) = SaveTinyModel();
        var ml = new MLContext(1);
        var good = ml.LowRank().LoadModel(path);
        good.GetLanguageModel().Model.parameters().Sum(p => p.numel()).Should().BeGreaterThan(0);
        good.GetLanguageModel().Dispose();

        // The weight count is the int32 just before the first weight's name, "wte.weight".
        Patch(path, entry, bytes =>
        {
            int name = IndexOf(bytes, Encoding.UTF8.GetBytes("wte.weight")) - 1;   // its 1-byte length prefix
            BitConverter.ToInt32(bytes, name - 4).Should().BeGreaterThan(0);
            BitConverter.GetBytes(-3).CopyTo(bytes, name - 4);
        });
        FluentActions.Invoking(() =>
            ml.LowRank().LoadModel(path)).Should().Throw<InvalidDataException>().WithMessage("*-3 weight tensors*");
        File.Delete(path);
    }

    [Fact]
    public void A_plausible_configuration_that_does_not_match_the_weights_shapes_is_refused_naming_the_weight()
    {
        // Width 32 saved; the configuration edited to width 16 with head dim 16 (one head): a model that could exist,
        // with fewer parameters than the file holds, so only the shapes can give it away.
        var (path, entry, at) = SaveTinyModel();
        Patch(path, entry, bytes =>
        {
            BitConverter.ToInt32(bytes, at + 8).Should().Be(32, "the tiny model's width");
            BitConverter.GetBytes(16).CopyTo(bytes, at + 8);
        });
        var ml = new MLContext(1);
        FluentActions.Invoking(() => ml.LowRank().LoadModel(path)).Should().Throw<InvalidDataException>()
            .WithMessage("*'wte.weight'*saved as [*, 32]*expected [*, 16]*");
        File.Delete(path);
    }

    /// <summary>Replaces <paramref name="entryName"/> with its own bytes followed by <paramref name="zeros"/> zero
    /// bytes, deflated: a few hundred kilobytes in the zip that inflate to hundreds of megabytes.</summary>
    static void Inflate(string path, string entryName, long zeros)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry(entryName);
        byte[] original = entry is null ? [] : ReadAll(entry);
        entry?.Delete();
        using var w = zip.CreateEntry(entryName, CompressionLevel.Optimal).Open();
        w.Write(original);
        var block = new byte[1 << 20];
        for (long left = zeros; left > 0; left -= block.Length) w.Write(block, 0, (int)Math.Min(block.Length, left));
    }

    [Theory]
    [InlineData("Schema", 200L << 20, "*declares*more than the*it may hold*")]
    [InlineData(null, 300L << 20, "*compressed*never compress like that*")]
    public void An_inflation_bomb_in_any_entry_is_refused_before_it_inflates(string? entryName, long zeros,
        string message)
    {
        var (path, stage, _) = SaveTinyModel();
        try
        {
            Inflate(path, entryName ?? stage, zeros);
            new FileInfo(path).Length.Should().BeLessThan(zeros / 50, "the bomb is small on disk");
            var clock = Stopwatch.StartNew();
            FluentActions.Invoking(() =>
                new MLContext(1).LowRank().LoadModel(path)).Should().Throw<InvalidDataException>().WithMessage(message);
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
        }
        finally { File.Delete(path); }
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        throw new InvalidOperationException("pattern not found");
    }
}
