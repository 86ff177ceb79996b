// A language model must not look ahead: changing the tokens after position t leaves every logit at positions ≤ t
// unchanged — for every variant, and with a low-rank head.
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Model;

public class CausalityTests
{
    public static IEnumerable<object[]> Variants() => LinearVariant.BuiltIn.Select(v => new object[] { v.Name });

    [Theory]
    [MemberData(nameof(Variants))]
    public void Changing_later_tokens_leaves_earlier_logits_unchanged(string variant)
    {
        var config = Tiny.Config(LinearVariant.Parse(variant), 8, 8) with { HeadRank = variant == "Dense" ? null : 8 };
        using var model = Gpt.Create(config, seed: 1);
        GiveEveryWeightAValue(model);
        var random = new Random(3);
        long[] a = Enumerable.Range(0, 16).Select(_ => (long)random.Next(Tiny.Vocab)).ToArray();
        using var noGrad = no_grad();
        using var la = model.forward(tensor(a, 1, 16));
        foreach (int t in new[] { 0, 5, 14 })
        {
            long[] b = (long[])a.Clone();
            for (int i = t + 1; i < 16; i++) b[i] = (a[i] + 1 + i) % Tiny.Vocab;
            using var lb = model.forward(tensor(b, 1, 16));
            using var before = la[.., ..(t + 1)];
            using var same = lb[.., ..(t + 1)];
            same.allclose(before, rtol: 0,
                atol: 1e-6).Should().BeTrue($"{variant}: logits at positions ≤ {t} must not see later tokens");
            using var after = la[.., (t + 1)..];
            using var changed = lb[.., (t + 1)..];
            changed.allclose(after, rtol: 0,
                atol: 1e-6).Should().BeFalse($"{variant}: the later tokens did change, so later logits must");
        }
    }

    /// <summary>The zero-initialised layers (out projections, head) would make every logit zero and the test
    /// vacuous.</summary>
    static void GiveEveryWeightAValue(Gpt model)
    {
        using var noGrad = no_grad();
        using var g = new Generator(11);
        foreach (var p in model.parameters())
            if (p.abs().max().item<float>() == 0) p.normal_(0, 0.2, g);
    }
}
