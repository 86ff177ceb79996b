// An export is two files (weights, and the configuration JSON beside them). Each is written through a temporary file
// and a rename, and the JSON names its weights by SHA-256, so new weights beside an old JSON — an export interrupted
// between the two, or files of two exports — are refused on load rather than read as one model.
using System.Text.Json.Nodes;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Model;

public class ExportPairingTests
{
    static GptConfig Config(int seedWidth) => new()
    {
        VocabSize = 40,
        Depth = 2,
        ModelDim = seedWidth,
        HeadDim = 16,
        SequenceLength = 16,
        Variant = LinearVariant.Dense,
        AttentionRank = null,
        MlpRank = null,
    };

    [Fact]
    public void The_json_beside_a_pt_export_must_belong_to_its_weights()
    {
        using var dir = new TempDirectory("lowrank-export-");
        string a = Path.Combine(dir.Path, "a.pt"), b = Path.Combine(dir.Path, "b.pt");
        using (var m = Gpt.Create(Config(32), seed: 1)) GptExport.Save(m, a);
        using (var m = Gpt.Create(Config(32), seed: 2)) GptExport.Save(m, b);
        Directory.GetFiles(dir.Path).Select(Path.GetFileName).Should()
            .BeEquivalentTo(["a.pt", "a.json", "b.pt", "b.json"], "no temporary file is left behind");
        using (var loaded = GptExport.Load(a)) loaded.Config.ModelDim.Should().Be(32);

        // Same shapes, other weights: only the hash can tell that b.json does not describe a.pt.
        File.Copy(b.Replace(".pt", ".json"), a.Replace(".pt", ".json"), overwrite: true);
        FluentActions.Invoking(() => GptExport.Load(a)).Should().Throw<InvalidDataException>()
            .WithMessage("a.json was written for other weights than a.pt (an export interrupted between its two " +
            "files, or files of two exports)*export the model again*");

        // A JSON without the hash (an export from before it was recorded) still loads.
        var json = JsonNode.Parse(File.ReadAllText(b.Replace(".pt", ".json")))!.AsObject();
        json.Remove(GptExport.WeightsHashKey);
        json.Remove(GptExport.WeightsFilesKey);
        File.WriteAllText(a.Replace(".pt", ".json"), json.ToJsonString());
        using (var loaded = GptExport.Load(a)) loaded.Config.Depth.Should().Be(2);
    }

    [Fact]
    public void Both_formats_of_one_model_share_one_json_and_a_users_json_is_never_replaced()
    {
        using var dir = new TempDirectory("lowrank-export-");
        string st = Path.Combine(dir.Path, "m.safetensors"), pt = Path.Combine(dir.Path, "m.pt"),
            json = Path.Combine(dir.Path, "m.json");
        using (var m = Gpt.Create(Config(32), seed: 1))
        {
            GptExport.Save(m, st);
            GptExport.Save(m, pt);
        }
        // The second export added its entry; the first still loads (it once failed: "m.json was written for other
        // weights").
        JsonNode.Parse(File.ReadAllText(json))![GptExport.WeightsFilesKey]!.AsObject().Select(kv =>
            kv.Key).Should().Equal("m.pt", "m.safetensors");
        using (var a = GptExport.Load(st)) using (var b =
            GptExport.Load(pt)) a.Config.ModelDim.Should().Be(b.Config.ModelDim);

        // Another model exported over one of them: the other file no longer has its JSON, and says so.
        using (var other = Gpt.Create(Config(48), seed: 2)) GptExport.Save(other, pt);
        using (var b = GptExport.Load(pt)) b.Config.ModelDim.Should().Be(48);
        FluentActions.Invoking(() =>
            GptExport.Load(st)).Should().Throw<InvalidDataException>()
            .WithMessage("m.json was written for other weights than m.safetensors*");

        // A JSON the user wrote under that name: the export refuses before writing anything, and the file is kept.
        string mine = Path.Combine(dir.Path, "notes.json"), weights = Path.Combine(dir.Path, "notes.pt");
        File.WriteAllText(mine, "{\"my\": \"notes\"}");
        using (var m = Gpt.Create(Config(32), seed: 3))
            FluentActions.Invoking(() => GptExport.Save(m,
                weights)).Should().Throw<IOException>()
                .WithMessage("*notes.json exists and was not written by an export*");
        File.ReadAllText(mine).Should().Be("{\"my\": \"notes\"}");
        File.Exists(weights).Should().BeFalse("refused before the weights were written");
    }
}
