// `lowrank bench layers`: forward+backward time of one linear layer of each shape a model uses (attention dim→dim, MLP
// dim→4dim and 4dim→dim, head dim→vocab), dense against Factored and Cola at several ranks: achieved GFLOP/s, the
// theoretical FLOP ratio and the measured speed ratio against dense, and memory (parameters, gradients, optimizer
// state, activations). The plan's "benchmark individual layers to understand their memory and computation".
using System.Diagnostics;
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Benchmarks;

/// <summary>One measured layer.</summary>
/// <param name="Shape">"attention", "mlp_fc", "mlp_proj" or "head".</param>
/// <param name="In">Input width.</param>
/// <param name="Out">Output width.</param>
/// <param name="Variant">Dense, Factored or Cola.</param>
/// <param name="Rank">Rank (min(in, out) for dense).</param>
/// <param name="Tokens">Rows of the input (batch × sequence).</param>
/// <param name="MedianMs">Median forward+backward milliseconds.</param>
/// <param name="Gflops">Achieved GFLOP/s (6 · matmul parameters · tokens per forward+backward).</param>
/// <param name="FlopRatio">Theoretical FLOPs relative to dense.</param>
/// <param name="SpeedRatio">Dense time ÷ this time (above 1 = faster than dense).</param>
/// <param name="ParameterBytes">Parameters + gradients + optimizer state (Muon: one momentum) in bytes.</param>
/// <param name="ActivationBytes">Activations kept for backward (input, between-factor values, output) in bytes.</param>
public sealed record LayerMeasurement(string Shape, int In, int Out, string Variant, int Rank, int Tokens,
    double MedianMs, double Gflops,
    double FlopRatio, double SpeedRatio, long ParameterBytes, long ActivationBytes);

/// <summary>Times linear layers.</summary>
public static class LayerBenchmark
{
    /// <summary>Measures every (shape, variant, rank) of <paramref name="config"/>'s layers at
    /// <paramref name="tokens"/> rows.</summary>
    public static IReadOnlyList<LayerMeasurement> Run(GptConfig config, IReadOnlyList<int> ranks, int tokens,
        int repeats = 7, int warmup = 2)
    {
        config.Validate();
        Runtime.TorchRuntime.EnsureInitialized();
        var shapes = new (string Name, int In, int Out)[]
        {
            ("attention", config.ModelDim, config.ModelDim), ("mlp_fc", config.ModelDim, config.MlpDim),
            ("mlp_proj", config.MlpDim, config.ModelDim), ("head", config.ModelDim, config.VocabSize),
        };
        var results = new List<LayerMeasurement>();
        foreach (var (name, inF, outF) in shapes)
        {
            double denseMs = Time(LinearVariant.Dense, inF, outF, Math.Min(inF, outF), tokens, repeats, warmup);
            results.Add(Measure(name, inF, outF, LinearVariant.Dense, Math.Min(inF, outF), tokens, denseMs, denseMs));
            foreach (var variant in new[] { LinearVariant.Factored, LinearVariant.Cola })
                foreach (int r in ranks.Where(r => r >= 1 && r <= Math.Min(inF, outF)))
                    results.Add(Measure(name, inF, outF, variant, r, tokens,
                        Time(variant, inF, outF, r, tokens, repeats, warmup), denseMs));
        }
        return results;
    }

    static LayerMeasurement Measure(string shape, int inF, int outF, LinearVariant v, int r, int tokens, double ms,
        double denseMs)
    {
        long mm = v.MatmulParameterCount(inF, outF, r), dense = (long)inF * outF;
        long parameterBytes = v.ParameterCount(inF, outF, r) * 3 * sizeof(float);
        long activations = (long)tokens * (inF + outF + (v.IsFactored ? (v == LinearVariant.Cola ? 2 * r : r)
            : 0)) * sizeof(float);
        return new LayerMeasurement(shape, inF, outF, v.Name, r, tokens, ms, 6.0 * mm * tokens / (ms / 1000) / 1e9,
            (double)mm / dense, denseMs / ms, parameterBytes, activations);
    }

    /// <summary>Median milliseconds of forward + backward of one layer on a (tokens × in) input.</summary>
    static double Time(LinearVariant v, int inF, int outF, int r, int tokens, int repeats, int warmup)
    {
        using var layer = v.Create(new LinearLayerSpec(inF, outF, r, FactorInit.Matched, ZeroOutput: false));
        using var x = torch.randn(tokens, inF, requires_grad: true);
        var times = new List<double>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            var y = layer.forward(x);
            y.sum().backward();
            double ms = sw.Elapsed.TotalMilliseconds;
            layer.zero_grad();
            x.grad?.zero_();
            if (i >= warmup) times.Add(ms);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
