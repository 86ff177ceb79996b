using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Experiments;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Benchmarks;

public class BenchmarkTests
{
    [Fact]
    public void Layer_benchmark_measures_every_shape_variant_and_rank()
    {
        var config = new GptConfig { VocabSize = 64, ModelDim = 32, HeadDim = 16 };
        var rows = LayerBenchmark.Run(config, [4, 8, 64], tokens: 64, repeats: 2, warmup: 1);
        // 4 shapes × (dense + 2 variants × 2 valid ranks; 64 exceeds min(in, out) = 32 everywhere).
        rows.Should().HaveCount(4 * 5);
        rows.Should().OnlyContain(r => r.MedianMs > 0 && r.Gflops > 0 && double.IsFinite(r.SpeedRatio));
        rows.Where(r => r.Variant == "Dense").Should().OnlyContain(r => r.FlopRatio == 1 && r.SpeedRatio == 1);
        rows.Single(r => r.Shape == "mlp_fc" && r.Variant == "Factored" && r.Rank == 8).FlopRatio.Should().BeApproximately(8.0 * (32 + 128) / (32 * 128), 1e-12);
        rows.Single(r => r.Shape == "attention" && r.Variant == "Factored" && r.Rank == 4).ParameterBytes.Should().Be(4 * 64 * 3 * 4);
    }

    [Fact]
    public void Train_benchmark_times_each_phase()
    {
        var config = Tiny.Config(LinearVariant.Factored, 8, 8);
        var m = TrainBenchmark.Run("tiny", config, batchSize: 2, Optimizers.MuonAdamW, peakFlops: 1e11, steps: 3, warmup: 1);
        new[] { m.ForwardMs, m.LossMs, m.BackwardMs, m.OptimizerMs }.Should().OnlyContain(ms => ms > 0);
        m.StepMs.Should().BeGreaterThanOrEqualTo(m.ForwardMs + m.BackwardMs);
        m.TokensPerSecond.Should().BeApproximately(2 * 16 / (m.StepMs / 1000), 1e-6);
        m.FlopsPerToken.Should().Be(ModelSummary.For(config).FlopsPerToken);
        m.Mfu.Should().BeApproximately(m.FlopsPerToken * m.TokensPerSecond / 1e11, 1e-12);
    }

    [Theory]
    [InlineData("layers", "--dim", "32", "--vocab", "64", "--ranks", "4,8", "--tokens", "64", "--repeats", "2")]
    [InlineData("train", "--dim", "32", "--depth", "2", "--vocab", "64", "--seq", "16", "--batch", "2", "--steps", "2", "--warmup", "1", "--model", "Variant=Dense", "--model", "AttentionRank=8;MlpRank=8")]
    public void Bench_commands_write_well_formed_csv(params string[] args)
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        string csv = Path.Combine(dir, "out.csv");
        var (code, output) = SweepFixture.Run(dir, ["bench", .. args, "--csv", csv]);
        code.Should().Be(0, output);
        var lines = File.ReadAllLines(csv);
        lines.Length.Should().BeGreaterThan(1);
        int columns = lines[0].Split(',').Length;
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            cells.Should().HaveCount(columns, line);
            cells.Count(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _)).Should().BeGreaterThan(columns / 2, line);
        }
        output.Should().Contain("|---");
        Directory.Delete(dir, true);
    }

    static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
