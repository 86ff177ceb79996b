// The built-in optimizer set-ups: Muon for block matrices + AdamW for the rest (nanochat), or AdamW for everything
// (as most of the low-rank literature trains).
using MLNet.LowRank.Model;
using TorchSharp.Modules;

namespace MLNet.LowRank.Training;

/// <summary>The optimizer factories that ship with the library.</summary>
public static class Optimizers
{
    /// <summary>Muon for every 2-D matrix in the blocks; AdamW for wte, lm_head and vectors.</summary>
    public static IOptimizerFactory MuonAdamW { get; } = new Factory("MuonAdamW", useMuon: true);

    /// <summary>AdamW for every parameter (block matrices at
    /// <see cref="TrainingOptions.AdamMatrixLearningRate"/>).</summary>
    public static IOptimizerFactory AdamW { get; } = new Factory("AdamW", useMuon: false);

    /// <summary>A built-in or registered (<see cref="ExtensionRegistry.Register(IOptimizerFactory)"/>) factory by name,
    /// case-insensitive.</summary>
    public static IOptimizerFactory Parse(string name) =>
        new[] { MuonAdamW, AdamW }.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? ExtensionRegistry.FindOptimizer(name)
        ?? throw new ArgumentException($"Unknown optimizer '{name}'. " +
        $"Known: {string.Join(", ", new[] { "MuonAdamW", "AdamW" }.Concat(ExtensionRegistry.OptimizerNames))}. " +
        $"Register your own with ExtensionRegistry.Register(factory).", nameof(name));

    /// <summary>The model's parameters by role.</summary>
    public static (List<Parameter> BlockMatrices, List<Parameter> BlockVectors, Parameter Embedding, List<Parameter> Head) Partition(Gpt model)
    {
        var matrices = new List<Parameter>();
        var vectors = new List<Parameter>();
        foreach (var block in model.Blocks)
            foreach (var p in block.parameters())
                (p.dim() == 2 ? matrices : vectors).Add(p);
        return (matrices, vectors, model.EmbeddingWeight, model.Head.parameters().ToList());
    }

    sealed class Factory(string name, bool useMuon) : IOptimizerFactory
    {
        public string Name => name;

        public IReadOnlyList<IParameterOptimizer> Create(Gpt model, TrainingOptions o)
        {
            var (matrices, vectors, embedding, head) = Partition(model);
            // AdamW LRs of wte and lm_head scale as (dim/768)^−0.5 (nanochat), so the defaults carry across widths.
            double scale = Math.Pow(model.Config.ModelDim / 768.0, -0.5);
            var adamGroups = new List<(IEnumerable<Parameter>, double)>
            {
                ([embedding], o.EmbeddingLearningRate * scale),
                (head, o.HeadLearningRate * scale),
                (vectors, o.VectorLearningRate),
            };
            var list = new List<IParameterOptimizer>();
            if (useMuon)
                list.Add(new Muon(matrices, o.MatrixLearningRate, o.MuonMomentum, o.MuonMomentumStart,
                    o.MuonMomentumWarmupSteps, o.NewtonSchulzSteps));
            else
                adamGroups.Add((matrices, o.AdamMatrixLearningRate));
            list.Add(new AdamW(adamGroups, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon, o.WeightDecay));
            return list;
        }
    }
}
