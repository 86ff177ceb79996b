using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Tests.Training;

public class GradientFlowTests
{
    public static TheoryData<string> Variants() => new(LinearVariant.BuiltIn.Select(v => v.Name));

    // lm_head, the attention out-projection and the MLP proj start at zero (only U for factored layers), so the first
    // backward reaches lm_head alone, the second also the zero-init output factors, the third everything. A model
    // stuck at a zero-gradient fixed point (both factors zero, or q/k/v zeroed) would still show zeros after that.
    [Theory]
    [MemberData(nameof(Variants))]
    public void After_training_steps_every_parameter_of_every_block_has_a_gradient(string variant)
    {
        using var model = Gpt.Create(Tiny.Config(LinearVariant.Parse(variant), 8, 8) with { HeadRank = 8 }, seed: 1);
        TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(3));

        var stream = Tiny.Stream(seed: 2);
        var batcher = new SequenceBatcher(stream, 16, 4, seed: 1);
        batcher.Next();
        using var x = torch.tensor(batcher.Inputs, 4, 16);
        using var y = torch.tensor(batcher.Targets, 4, 16);
        using var loss = model.Loss(x, y);
        loss.backward();

        foreach (var (name, p) in model.named_parameters())
        {
            using var grad = p.grad;
            grad.Should().NotBeNull(name);
            if (p.dim() == 1 && name.EndsWith(".D"))
                continue; // D of a zero-init layer may still be at zero; its gradient is x·g
            grad!.abs().max().item<float>().Should().BeGreaterThan(0, $"{name} must receive gradient");
        }
        model.named_parameters().Select(n => n.name).Should().Contain(n => n.Contains("c_q")).And.Contain(n =>
            n.Contains("c_v"));
    }
}
