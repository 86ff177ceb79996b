// `lowrank bench train`: the training step of whole models, timed by phase — forward, loss, backward, optimizer
// (clipping, updates, zeroing) — after warm-up steps, as medians; with tokens/s, MFU against the machine's measured
// float32 peak, and resident memory. With gradient accumulation a step is that many micro-batches of forward, loss and
// backward (each phase summed over them) and one optimizer update, as TrainingLoop does it.
using System.Diagnostics;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Benchmarks;

/// <summary>One measured configuration.</summary>
/// <param name="Name">A label for the configuration.</param>
/// <param name="Parameters">Total parameters.</param>
/// <param name="FlopsPerToken">Training FLOPs per token (model-spec §3).</param>
/// <param name="ForwardMs">Median forward milliseconds (to logits).</param>
/// <param name="LossMs">Median loss milliseconds (soft-cap is in forward; this is the cross-entropy).</param>
/// <param name="BackwardMs">Median backward milliseconds.</param>
/// <param name="OptimizerMs">Median clip + optimizer + zero-grad milliseconds.</param>
/// <param name="StepMs">Median whole-step milliseconds.</param>
/// <param name="TokensPerSecond">Batch tokens ÷ median step time.</param>
/// <param name="Mfu">Achieved FLOP/s ÷ measured peak.</param>
/// <param name="PeakResidentBytes">Process resident memory after the measured steps.</param>
public sealed record TrainMeasurement(string Name, long Parameters, double FlopsPerToken, double ForwardMs,
    double LossMs, double BackwardMs,
    double OptimizerMs, double StepMs, double TokensPerSecond, double Mfu, long PeakResidentBytes);

/// <summary>Times training steps.</summary>
public static class TrainBenchmark
{
    public static TrainMeasurement Run(string name, GptConfig config, int batchSize, IOptimizerFactory optimizer,
        double peakFlops, int steps = 10, int warmup = 3,
        int accumulation = 1)
    {
        var options = new TrainingOptions
        {
            MaxSteps = steps + warmup,
            BatchSize = batchSize,
            Optimizer = optimizer,
            GradientAccumulationSteps = accumulation,
        };
        options.Validate();
        using var model = Gpt.Create(config, seed: 1);
        var optimizers = optimizer.Create(model, options);
        var parameters = model.parameters().ToArray();
        var random = new Random(1);
        long[] NewBatch() => Enumerable.Range(0,
            batchSize * config.SequenceLength).Select(_ => (long)random.Next(config.VocabSize)).ToArray();
        var phases = new List<double[]>();
        long peak = 0;
        try
        {
            for (int step = 0; step < warmup + steps; step++)
            {
                double forward = 0, lossMs = 0, backward = 0;
                var sw = Stopwatch.StartNew();
                for (int micro = 0; micro < accumulation; micro++)
                {
                    using var scope = torch.NewDisposeScope();
                    using var n = new ScalarArgs();
                    var x = torch.tensor(NewBatch(), batchSize, config.SequenceLength, device: model.Device);
                    var y = torch.tensor(NewBatch(), batchSize, config.SequenceLength, device: model.Device);
                    double start = sw.Elapsed.TotalMilliseconds;
                    var logits = model.forward(x);
                    double forwardAt = sw.Elapsed.TotalMilliseconds;
                    var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), y.view(-1));
                    if (accumulation > 1) loss = loss.div(n.Of((long)accumulation));
                    loss.item<float>();
                    double lossAt = sw.Elapsed.TotalMilliseconds;
                    loss.backward();
                    double backwardAt = sw.Elapsed.TotalMilliseconds;
                    (forward, lossMs, backward) = (forward + forwardAt - start, lossMs + lossAt - forwardAt,
                        backward + backwardAt - lossAt);
                }
                double backwardEnd = sw.Elapsed.TotalMilliseconds;
                nn.utils.clip_grad_norm_(parameters, 1.0);
                foreach (var o in optimizers) o.Step(step, 1.0);
                model.zero_grad();
                double end = sw.Elapsed.TotalMilliseconds;
                if (step >= warmup) phases.Add([forward, lossMs, backward, end - backwardEnd, end]);
                peak = Math.Max(peak, ProcessMemory.ResidentBytes());
            }
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
        }
        double Median(int k) { var v = phases.Select(p => p[k]).Order().ToList(); return v[v.Count / 2]; }
        var summary = ModelSummary.For(config);
        double stepMs = Median(4), tps = (double)batchSize * accumulation * config.SequenceLength / (stepMs / 1000);
        return new TrainMeasurement(name, summary.TotalParameters, summary.FlopsPerToken, Median(0), Median(1),
            Median(2), Median(3), stepMs, tps,
            summary.FlopsPerToken * tps / peakFlops, peak);
    }
}
