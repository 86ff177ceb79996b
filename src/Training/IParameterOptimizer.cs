// The plug-in points for optimizers: a factory splits the model's parameters among optimizers; each optimizer updates
// its own parameters once per step. Implement IOptimizerFactory and pass it in TrainingOptions.Optimizer.
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Training;

/// <summary>Updates a set of parameters from their gradients.</summary>
public interface IParameterOptimizer : IDisposable
{
    /// <summary>A short name for logs ("muon", "adamw").</summary>
    string Name { get; }

    /// <summary>Applies one update at <paramref name="step"/> (0-based) with every learning rate scaled by
    /// <paramref name="lrFactor"/>.</summary>
    void Step(int step, double lrFactor);

    /// <summary>Optimizer state values held per parameter it updates (Muon 1, AdamW 2), for the memory
    /// estimate.</summary>
    double StatePerParameter { get; }

    /// <summary>Number of parameter values it updates.</summary>
    long ParameterCount { get; }

    /// <summary>Every state tensor (momenta, moments), in a fixed order, for checkpoints; restored in place.</summary>
    IReadOnlyList<TorchSharp.torch.Tensor> State { get; }
}

/// <summary>Builds the optimizers for a model.</summary>
public interface IOptimizerFactory
{
    /// <summary>A short name for options and results.</summary>
    string Name { get; }

    /// <summary>Optimizers that together cover every trainable parameter of <paramref name="model"/> exactly
    /// once.</summary>
    IReadOnlyList<IParameterOptimizer> Create(Gpt model, TrainingOptions options);
}
