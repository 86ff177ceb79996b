// Muon (model-spec §1): Nesterov momentum, then Newton–Schulz orthogonalisation, update scaled by √max(1, rows/cols).
// Same-shaped matrices are stacked so one batched Newton–Schulz serves them all (many small matmuls are slow on CPU).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Training;

/// <summary>Muon for 2-D parameters.</summary>
public sealed class Muon : IParameterOptimizer
{
    readonly List<(Parameter[] Params, Tensor Momentum, double Scale)> groups = [];
    readonly double lr, momentum, momentumStart;
    readonly int momentumWarmup, nsSteps;

    public Muon(IEnumerable<Parameter> parameters, double lr, double momentum, double momentumStart, int momentumWarmupSteps, int newtonSchulzSteps)
    {
        foreach (var shape in parameters.GroupBy(p => (p.shape[0], p.shape[1])))
        {
            var ps = shape.ToArray();
            if (ps.Any(p => p.dim() != 2)) throw new ArgumentException("Muon updates 2-D matrices only.", nameof(parameters));
            var (rows, cols) = shape.Key;
            groups.Add((ps, torch.zeros(ps.Length, rows, cols, device: ps[0].device), Math.Sqrt(Math.Max(1.0, (double)rows / cols))));
        }
        this.lr = lr;
        this.momentum = momentum;
        this.momentumStart = momentumStart;
        momentumWarmup = momentumWarmupSteps;
        nsSteps = newtonSchulzSteps;
        ParameterCount = groups.Sum(g => g.Params.Sum(p => p.numel()));
    }

    public string Name => "muon";
    public IReadOnlyList<Tensor> State => groups.Select(g => g.Momentum).ToList();
    public double StatePerParameter => 1;
    public long ParameterCount { get; }

    /// <summary>Momentum at a step: linear ramp from the start value over the warmup steps.</summary>
    public double MomentumAt(int step)
    {
        double f = momentumWarmup == 0 ? 1 : Math.Min(1.0, (double)step / momentumWarmup);
        return (1 - f) * momentumStart + f * momentum;
    }

    public void Step(int step, double lrFactor)
    {
        double mu = MomentumAt(step);
        using var noGrad = torch.no_grad();
        foreach (var (ps, buf, scale) in groups)
        {
            using var scope = torch.NewDisposeScope();
            var grads = torch.stack(ps.Select(p => p.grad ?? torch.zeros_like(p)));
            buf.lerp_(grads, 1 - mu);
            var nesterov = grads.lerp_(buf, mu);
            var update = NewtonSchulz.Orthogonalize(nesterov, nsSteps);
            double alpha = -lr * lrFactor * scale;
            for (int i = 0; i < ps.Length; i++) ps[i].add_(update[i], alpha);
        }
    }

    public void Dispose()
    {
        foreach (var g in groups) g.Momentum.Dispose();
        groups.Clear();
    }
}
