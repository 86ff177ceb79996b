// `lowrank bench muon`: Muon's Newton–Schulz on the block matrices of a model, batched three ways — one call per exact
// shape (what Muon does), one call per wide-orientation shape (a tall matrix transposed joins the wide ones of its
// shape), and one call for every matrix zero-padded to the largest shape — to see whether fewer, larger batched
// products beat the extra FLOPs of padding. Times are medians; GFLOP counts the products each way actually runs.
using System.Diagnostics;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Benchmarks;

/// <summary>One way of batching Newton–Schulz over a model's block matrices.</summary>
/// <param name="Strategy">"per shape", "per oriented shape" or "one padded batch".</param>
/// <param name="Calls">Batched Newton–Schulz calls per optimizer step.</param>
/// <param name="MedianMs">Median milliseconds for all the block matrices.</param>
/// <param name="Gflop">Matmul GFLOP the strategy runs (padding included).</param>
public sealed record NewtonSchulzMeasurement(string Strategy, int Calls, double MedianMs, double Gflop);

/// <summary>Times Newton–Schulz batching strategies.</summary>
public static class NewtonSchulzBenchmark
{
    /// <summary>Measures the three strategies on the block matrices of <paramref name="config"/>.</summary>
    public static IReadOnlyList<NewtonSchulzMeasurement> Run(GptConfig config, int steps = 5, int repeats = 7,
        int warmup = 2)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        using var model = Gpt.Create(config, seed: 1);
        var shapes = Optimizers.Partition(model).BlockMatrices.Select(p => (Rows: p.shape[0],
            Cols: p.shape[1])).ToList();
        var generator = new Generator(1);
        var gradients = shapes.Select(s => torch.randn(s.Rows, s.Cols, generator: generator)).ToList();
        (long, long) Wide((long Rows, long Cols) s) => s.Rows > s.Cols ? (s.Cols, s.Rows) : (s.Rows, s.Cols);
        double Flop(long rows,
            long cols) => steps * (2.0 * rows * rows * cols * 2 + 2.0 * rows * rows * rows); // X·Xᵀ, P·X; M·M
        var exact = Enumerable.Range(0, shapes.Count).GroupBy(i => shapes[i]).Select(g => g.ToArray()).ToList();
        var oriented = Enumerable.Range(0,
            shapes.Count).GroupBy(i => Wide(shapes[i])).Select(g => g.ToArray()).ToList();
        long maxRows = shapes.Max(s => Wide(s).Item1), maxCols = shapes.Max(s => Wide(s).Item2);
        var results = new List<NewtonSchulzMeasurement>
        {
            new("per shape", exact.Count,
                Time(() => { foreach (var g in exact) NewtonSchulz.Orthogonalize(torch.stack(g.Select(i =>
                gradients[i])), steps); }),
                shapes.Sum(s => Flop(Wide(s).Item1, Wide(s).Item2)) / 1e9),
            new("per oriented shape", oriented.Count, Time(() =>
                {
                    foreach (var g in oriented)
                        NewtonSchulz.Orthogonalize(torch.stack(g.Select(i => shapes[i].Rows > shapes[i].Cols
                            ? gradients[i].t() : gradients[i])), steps);
                }), shapes.Sum(s => Flop(Wide(s).Item1, Wide(s).Item2)) / 1e9),
            new("one padded batch", 1, Time(() => NewtonSchulz.OrthogonalizePadded(gradients, steps)),
                shapes.Count * Flop(maxRows, maxCols) / 1e9),
        };
        foreach (var g in gradients) g.Dispose();
        return results;

        double Time(Action run)
        {
            var times = new List<double>();
            for (int i = 0; i < warmup + repeats; i++)
            {
                using var scope = torch.NewDisposeScope();
                var sw = Stopwatch.StartNew();
                run();
                if (i >= warmup) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
    }
}
