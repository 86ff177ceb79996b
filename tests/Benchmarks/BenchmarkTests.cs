using System.Globalization;
using MLNet.LowRank.Benchmarks;
using MLNet.LowRank.Model;
using MLNet.LowRank.Tests.Experiments;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Tests.Benchmarks;

public class BenchmarkTests
{
    [Fact]
    public void Layer_benchmark_measures_every_shape_variant_and_rank_with_the_spec_counts()
    {
        var config = new GptConfig { VocabSize = 64, ModelDim = 32, HeadDim = 16 };
        var rows = LayerBenchmark.Run(config, [4, 8, 64], tokens: 64, repeats: 2, warmup: 1);
        // 4 shapes × (dense + 2 variants × 2 valid ranks; 64 exceeds min(in, out) = 32 everywhere).
        rows.Should().HaveCount(4 * 5);
        rows.Select(r => (r.Shape, r.In, r.Out)).Distinct().Should().BeEquivalentTo(new[] { ("attention", 32, 32),
            ("mlp_fc", 32, 128), ("mlp_proj", 128, 32), ("head", 32, 64) });
        rows.Should().OnlyContain(r => r.MedianMs > 0 && r.Tokens == 64);
        foreach (var r in rows.Where(r => r.Variant != "Dense"))
        {
            // Written out from model-spec §2, not from the benchmark's own fields: r·(in + out) against in·out.
            r.FlopRatio.Should().BeApproximately((double)r.Rank * (r.In + r.Out) / (r.In * r.Out),
                1e-12, $"{r.Shape} {r.Variant} rank {r.Rank}");
            r.ParameterBytes.Should()
                .Be(3L * 4 * r.Rank * (r.In + r.Out), "parameters, gradients and one Muon momentum, float32");
            r.ActivationBytes.Should().Be(4L * 64 * (r.In + r.Out + (r.Variant == "Cola" ? 2 : 1) * r.Rank));
        }
    }

    [Fact]
    public void Train_benchmark_times_each_phase_and_counts_flops_by_the_spec()
    {
        var config = Tiny.Config(LinearVariant.Factored, 8, 8);
        var m = TrainBenchmark.Run("tiny", config, batchSize: 2, Optimizers.MuonAdamW, peakFlops: 1e11, steps: 3,
            warmup: 1);
        // Medians: the median step is at least each phase's median (each step contains its phases), not their sum.
        new[] { m.ForwardMs, m.LossMs, m.BackwardMs,
            m.OptimizerMs }.Should().OnlyContain(ms => ms > 0 && ms <= m.StepMs);
        // 6·N_mm + 12·L·T·dim by hand: per block 4·8·(32+32) + 2·8·(32+128) = 4,608; two blocks and lm_head 32·64.
        long nmm = 2 * (4 * 8 * (32 + 32) + 2 * 8 * (32 + 128)) + 32 * 64;
        m.FlopsPerToken.Should().Be(6 * nmm + 12 * 2 * 16 * 32);
        // tokens/s from the median step (2 sequences of 16 tokens), MFU = FLOPs per token × tokens/s ÷ the peak given.
        m.TokensPerSecond.Should().BeApproximately(2 * 16 / (m.StepMs / 1000), 1e-9 * m.TokensPerSecond);
        m.Mfu.Should().BeApproximately(m.FlopsPerToken * m.TokensPerSecond / 1e11, 1e-12);
    }

    [Fact]
    public void The_mfu_peak_is_measured_on_the_training_device_and_never_falls_back_to_the_cpu()
    {
        MLNet.LowRank.Runtime.TorchRuntime
            .EnsureInitialized();   // before the first touch of torch.*, which loads the native library
        double cpu = MachinePeak.Float32FlopsPerSecond(TorchSharp.torch.CPU, n: 256, seconds: 0.1);
        cpu.Should().BeGreaterThan(1e8, "a 256×256 float32 product runs at well over 0.1 GFLOP/s on any CPU");
        if (!TorchSharp.torch.cuda.is_available())
            FluentActions.Invoking(() => MachinePeak.Float32FlopsPerSecond(TorchSharp.torch.CUDA, n: 256, seconds: 0.1))
                .Should().Throw<InvalidOperationException>()
                .WithMessage("*CUDA*", "no CPU figure may stand in for a GPU's peak");
    }

    [Fact]
    public void With_gradient_accumulation_a_step_is_that_many_batches_and_one_update()
    {
        var config = Tiny.Config(LinearVariant.Dense, null, null);
        var m = TrainBenchmark.Run("tiny", config, batchSize: 2, Optimizers.MuonAdamW, peakFlops: 1e11, steps: 3,
            warmup: 1, accumulation: 3);
        m.TokensPerSecond.Should().BeApproximately(3 * 2 * config.SequenceLength / (m.StepMs / 1000),
            1e-6, "three micro-batches of 2 sequences per step");
        // Each step contains its phases, so the median step is at least each phase's median (order statistics keep the
        // per-step inequality); the sum of the phase medians can exceed the median step when steps vary, so it is not
        // asserted.
        new[] { m.ForwardMs, m.LossMs, m.BackwardMs,
            m.OptimizerMs }.Should().OnlyContain(phase => phase >= 0 && phase <= m.StepMs);
    }

    [Fact]
    public void Newton_schulz_benchmark_counts_the_padding_it_runs()
    {
        var config = Tiny.Config(LinearVariant.Dense, null,
            null);   // width 32, depth 2: 8 matrices 32×32, 2 of 128×32, 2 of 32×128
        var rows = NewtonSchulzBenchmark.Run(config, repeats: 2, warmup: 1);
        rows.Select(r => (r.Strategy, r.Calls)).Should().Equal(("per shape", 3), ("per oriented shape", 2),
            ("one padded batch", 1));
        // 5 steps of X·Xᵀ, M·M and P·X on a wide r×c matrix: 5·(4r²c + 2r³) FLOPs, written out.
        static double Ns(double r, double c) => 5 * (4 * r * r * c + 2 * r * r * r);
        rows[0].Gflop.Should().BeApproximately((8 * Ns(32, 32) + 4 * Ns(32, 128)) / 1e9, 1e-12);
        rows[1].Gflop.Should().Be(rows[0].Gflop);
        rows[2].Gflop.Should().BeApproximately(12 * Ns(32, 128) / 1e9, 1e-12, "every matrix padded to 32×128");
        rows.Should().OnlyContain(r => r.MedianMs > 0);
    }

    [SkippableFact]
    public void The_pytorch_peer_builds_the_same_model_and_times_the_same_phases()
    {
        Skip.IfNot(File
            .Exists(PeerBenchmark.DefaultPython), $"{PeerBenchmark.DefaultPython} missing (CI installs python3-torch)");
        var config = Tiny.Config(LinearVariant.Factored, 8, 8);
        MLNet.LowRank.Runtime.TorchRuntime.EnsureInitialized();
        PeerMeasurement peer;
        try
        {
            peer = PeerBenchmark.Run(config, batchSize: 2, "AdamW", threads: 1, steps: 2, warmup: 1);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("no torch", StringComparison.Ordinal))
        {
            throw new SkipException(e.Message);
        }
        peer.Parameters.Should()
            .Be(ModelSummary
            .For(config).TotalParameters, "the reference builds the library's shape from the same config");
        new[] { peer.ForwardMs, peer.BackwardMs, peer.OptimizerMs }.Should().OnlyContain(ms => ms > 0);
        peer.TokensPerSecond.Should().BeApproximately(2 * config.SequenceLength / (peer.StepMs / 1000), 1e-6);
        peer.Threads.Should().Be(1);
        peer.Blas.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void A_missing_interpreter_is_named_with_the_fix()
    {
        var config = Tiny.Config(LinearVariant.Dense, null, null);
        FluentActions.Invoking(() => PeerBenchmark.Run(config, 2, "AdamW", 1, 1, 0, python: "/nonexistent/python3"))
            .Should().Throw<InvalidOperationException>().WithMessage("*/nonexistent/python3 not found*python3-torch*");
    }

    [Theory]
    [InlineData("layers", "--dim", "32", "--vocab", "64", "--ranks", "4,8", "--tokens", "64", "--repeats", "2")]
    [InlineData("train", "--dim", "32", "--depth", "2", "--vocab", "64", "--seq", "16", "--batch", "2", "--steps", "2", "--warmup", "1", "--model", "Variant=Dense", "--model", "AttentionRank=8;MlpRank=8")]
    [InlineData("train", "--dim", "32", "--depth", "2", "--vocab", "64", "--seq", "16", "--batch", "2", "--steps", "2", "--warmup", "1", "--model", "Variant=Dense", "--accumulation", "1,3")]
    [InlineData("muon", "--dim", "32", "--depth", "2", "--repeats", "2", "--model", "Variant=Dense", "--model", "AttentionRank=8;MlpRank=8")]
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
            cells.Count(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture,
                out _)).Should().BeGreaterThan(columns / 2, line);
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
