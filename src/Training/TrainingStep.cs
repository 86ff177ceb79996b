// One optimisation step (model-spec §1): the loss plus the Frobenius term, its gradient, clipping at the global norm,
// every optimizer's update, cleared gradients. The training loop and the reference parity tests run this same code.
using MLNet.LowRank.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Training;

/// <summary>The two halves of a training step on one model with its optimizers.</summary>
public sealed class TrainingStep
{
    readonly Gpt model;
    readonly Parameter[] parameters;
    readonly LinearLayer[] decayed;
    readonly IReadOnlyList<IParameterOptimizer> optimizers;
    readonly TrainingOptions options;

    /// <summary>Every parameter of the model (what a data-parallel run averages the gradients of).</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    public TrainingStep(Gpt model, IReadOnlyList<IParameterOptimizer> optimizers, TrainingOptions options)
    {
        this.model = model;
        this.optimizers = optimizers;
        this.options = options;
        parameters = model.parameters().ToArray();
        decayed = options.FrobeniusDecay > 0 ? model.modules().OfType<LinearLayer>().ToArray() : [];
    }

    /// <summary>Back-propagates the cross-entropy of <paramref name="targets"/> plus λ·Σ‖U V‖²_F (when
    /// <see cref="TrainingOptions.FrobeniusDecay"/> is on), times <paramref name="scale"/>, adding to the gradients on
    /// the parameters (1/k for each of k accumulated micro-batches makes their sum the mean); returns the cross-entropy
    /// alone.</summary>
    public double Backward(Tensor inputs, Tensor targets, double scale = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        var loss = model.Loss(inputs, targets);
        var objective = loss;
        foreach (var layer in decayed)
            if (layer.ProductFrobeniusSquared() is { } f) objective = objective + f.mul(n.Of(options.FrobeniusDecay));
        (scale == 1.0 ? objective : objective.mul(n.Of(scale))).backward();
        return loss.item<float>();
    }

    /// <summary>Clips the global gradient norm at <see cref="TrainingOptions.GradientClip"/> (0 measures without
    /// clipping), applies every optimizer at <paramref name="step"/> with <paramref name="lrFactor"/>, clears the
    /// gradients, and returns the norm before clipping.</summary>
    public double Update(int step, double lrFactor)
    {
        double norm = ClipGradients();
        Apply(step, lrFactor);
        return norm;
    }

    /// <summary>Clips the global gradient norm at <see cref="TrainingOptions.GradientClip"/> (0 measures without
    /// clipping) and returns the norm before clipping, changing no weight: the loop looks at it (and the loss) before
    /// deciding to <see cref="Apply"/> the step or <see cref="Discard"/> it.</summary>
    public double ClipGradients()
    {
        using var scope = torch.NewDisposeScope();
        return nn.utils.clip_grad_norm_(parameters,
            options.GradientClip > 0 ? options.GradientClip : double.PositiveInfinity);
    }

    /// <summary>Applies every optimizer at <paramref name="step"/> with <paramref name="lrFactor"/> and clears the
    /// gradients.</summary>
    public void Apply(int step, double lrFactor)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var optimizer in optimizers) optimizer.Step(step, lrFactor);
        model.zero_grad();
    }

    /// <summary>Clears the gradients of a step that must not reach the weights or the optimizer state.</summary>
    public void Discard() => model.zero_grad();
}
