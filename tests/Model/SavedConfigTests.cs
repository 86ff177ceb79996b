// The fields a saved model carries are declared once (Model/SavedConfig) for the model zip / checkpoint payload and for
// an export's JSON: every architecture option is one of them or a per-block rank, and a configuration with every
// field away from its default comes back whole through both formats.
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Tests.Model;

public class SavedConfigTests
{
    static readonly GptConfig Unusual = new()
    {
        VocabSize = 40, Depth = 2, ModelDim = 16, HeadDim = 8, SequenceLength = 12, MlpRatio = 2,
            Variant = LinearVariant.FactoredDiagonal,
        Init = FactorInit.Spectral, RankMultiple = 2, LogitSoftCap = 11.5, RopeBase = 500, NormEps = 1e-5,
        AttentionRank = RankSchedule.Linear(4, 8), MlpRank = 6, HeadRank = 8,
    };

    static string WithoutRanks(GptConfig c) => string.Join(";",
        OptionTable.DescribePart(c).Split(';').Where(kv => !SavedConfig.Ranks.Any(r => kv.StartsWith(r + "=",
        StringComparison.Ordinal))));

    static int[] Ranks(GptConfig c) => [.. Enumerable.Range(0,
        c.Depth).SelectMany(i => new[] { c.AttentionRankAt(i), c.MlpRankAt(i) }), c.HeadRankValue];

    [Fact]
    public void Every_architecture_option_is_a_saved_field_or_a_rank()
    {
        var architecture =
            OptionTable.All.Where(d => d.DeclaredIn == "Model").Select(d => d.Name).Append(nameof(GptConfig.VocabSize));
        SavedConfig.Fields.Select(f => f.Name).Concat(SavedConfig.Ranks).Should().BeEquivalentTo(architecture);
        var unusual = WithoutRanks(Unusual).Split(';').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0],
            kv => kv[1]);
        foreach (var name in unusual.Keys)
            unusual[name].Should()
                .NotBe(OptionTable.Get(name).Default, $"the test configuration moves {name} from its default");
        unusual.Keys.Should()
            .HaveCount(SavedConfig.Fields.Length - 1, "every field but VocabSize (from the data, not an option) is " +
            "checked");
    }

    [Fact]
    public void A_configuration_away_from_every_default_comes_back_through_the_binary_payload_and_an_export()
    {
        using var model = Gpt.Create(Unusual, seed: 1);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) GptSerializer.Write(w,
            model);
        stream.Position = 0;
        var read = GptSerializer.ReadConfig(new BinaryReader(stream));
        WithoutRanks(read).Should().Be(WithoutRanks(Unusual));
        Ranks(read).Should().Equal(Ranks(Unusual));

        using var dir = new TempDirectory("lowrank-saved-config-");
        string path = Path.Combine(dir.Path, "model.safetensors");
        GptExport.Save(model, path);
        using var exported = GptExport.Load(path);
        // An export holds ranks already rounded to RankMultiple, so it does not carry that field.
        WithoutRanks(exported.Config).Should().Be(WithoutRanks(Unusual with { RankMultiple = 1 }));
        Ranks(exported.Config).Should().Equal(Ranks(Unusual));
    }
}
