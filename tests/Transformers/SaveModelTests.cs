// mlContext.LowRank().SaveModel replaces a model file whole: the new zip loads, nothing temporary is left, and a save
// that fails part-way leaves the previous model as it was (ML.NET's own Save truncates the target first).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Tests.Generation;

namespace MLNet.LowRank.Tests.Transformers;

public class SaveModelTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    /// <summary>A transformer whose save fails part-way (as a full disk would), appended to a real pipeline.</summary>
    sealed class Unsavable : ITransformer
    {
        public bool IsRowToRowMapper => true;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext ctx) => throw new IOException("disk full (simulated)");
    }

    [Fact]
    public void A_save_replaces_the_file_whole_and_a_failed_save_leaves_the_previous_model()
    {
        using var dir = new TempDirectory("lowrank-save-");
        string path = Path.Combine(dir.Path, "model.zip");
        var schema = fixture.Ml.LowRank().Data.LoadFromTexts(["x"]).Schema;
        fixture.Ml.LowRank().SaveModel(fixture.Pipeline, schema, path);
        fixture.Ml.LowRank().SaveModel(fixture.Pipeline, schema, path);   // over an existing file
        Directory.GetFiles(dir.Path).Should().ContainSingle("no temporary file is left beside the model");
        byte[] before = File.ReadAllBytes(path);
        var loaded = fixture.Ml.LowRank().LoadModel(path);
        loaded.GetLanguageModel().Summary.TotalParameters.Should().Be(fixture.Lm.Summary.TotalParameters);
        loaded.GetLanguageModel().Dispose();

        var broken = new TransformerChain<ITransformer>(fixture.Pipeline, new Unsavable());
        FluentActions.Invoking(() => fixture.Ml.LowRank().SaveModel(broken, schema, path)).Should().Throw<Exception>();
        File.ReadAllBytes(path).Should().Equal(before, "the previous model is untouched by a save that failed");
        Directory.GetFiles(dir.Path).Should().ContainSingle("the failed save's temporary file is removed");
    }
}
