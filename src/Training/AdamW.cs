// AdamW with decoupled weight decay and per-group learning rates (model-spec §1: betas (0.8, 0.95), eps 1e-10).
// Written here rather than taken from torch.optim so its state is plain tensors the trainer can checkpoint.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Training;

/// <summary>AdamW over groups of parameters, each with its own learning rate.</summary>
public sealed class AdamW : IParameterOptimizer
{
    readonly List<(Parameter Param, double Lr, Tensor M, Tensor V)> states = [];
    readonly double beta1, beta2, eps, weightDecay;

    public AdamW(IEnumerable<(IEnumerable<Parameter> Params, double Lr)> groups, double beta1, double beta2,
        double eps, double weightDecay)
    {
        foreach (var (ps, lr) in groups)
            foreach (var p in ps)
                states.Add((p, lr, torch.zeros_like(p), torch.zeros_like(p)));
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        ParameterCount = states.Sum(s => s.Param.numel());
    }

    public string Name => "adamw";
    public IReadOnlyList<Tensor> State => states.SelectMany(s => new[] { s.M, s.V }).ToList();
    public double StatePerParameter => 2;
    public long ParameterCount { get; }

    public void Step(int step, double lrFactor)
    {
        int t = step + 1;
        double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
        using var noGrad = torch.no_grad();
        foreach (var (p, baseLr, m, v) in states)
        {
            using var scope = torch.NewDisposeScope();
            using var n = new ScalarArgs();
            var g = p.grad;
            if (g is null) continue;
            double lr = baseLr * lrFactor;
            if (weightDecay > 0) p.mul_(n.Of(1 - lr * weightDecay));
            m.lerp_(g, 1 - beta1);
            v.mul_(n.Of(beta2)).addcmul_(g, g, n.Of(1 - beta2));
            var denom = v.sqrt().div_(n.Of(Math.Sqrt(bc2))).add_(n.Of(eps), n.Of(1L));
            p.addcdiv_(m, denom, n.Of(-lr / bc1));
        }
    }

    public void Dispose()
    {
        foreach (var s in states)
        {
            s.M.Dispose();
            s.V.Dispose();
        }
        states.Clear();
    }
}
