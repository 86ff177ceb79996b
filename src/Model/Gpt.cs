// The GPT of model-spec §1: token embedding, RMS norm, blocks, RMS norm, untied (optionally low-rank) lm_head,
// soft-capped logits and a float32 cross-entropy loss.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MLNet.LowRank.Runtime;

namespace MLNet.LowRank.Model;

/// <summary>A baseline or low-rank GPT. Build it with <see cref="Create"/> so that options are checked first and the
/// initial weights follow the seed.</summary>
public sealed class Gpt : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> wte;
    readonly ModuleList<Block> blocks;
    readonly LinearLayer lm_head;
    readonly Rotary rotary;
    readonly Block[] blockArray;

    Gpt(GptConfig config, Device device, Generator generator, bool initialize) : base(nameof(Gpt))
    {
        Config = config;
        // nn.Embedding draws its own N(0, 1) values (there is no uninitialised constructor, and
        // Embedding_from_pretrained's forward does not read the parameter a loader writes); the seeded draw replaces
        // them.
        var embedding = nn.Embedding(config.VocabSize, config.ModelDim);
        if (initialize)
            using (torch.no_grad()) embedding.weight!.normal_(0, 1, generator);
        wte = embedding;
        rotary = new Rotary(config.HeadDim, config.SequenceLength, config.RopeBase, device);
        blockArray = Enumerable.Range(0,
            config.Depth).Select(i => new Block(config, i, rotary, generator, initialize)).ToArray();
        blocks = new ModuleList<Block>(blockArray);
        var headVariant = config.HeadVariant;
        lm_head = headVariant.Create(new(config.ModelDim, config.VocabSize, config.HeadRankValue, config.Init,
            ZeroOutput: true, generator, initialize));
        RegisterComponents();
        // Weights are drawn on the CPU (the same values on every backend for a seed), then moved.
        if (device.type != DeviceType.CPU) this.to(device);
        Device = device;
    }

    /// <summary>Validates <paramref name="config"/> and builds the model on <paramref name="device"/> (default
    /// <see cref="Runtime.TorchRuntime.Device"/>), its initial weights drawn from a generator of its own seeded with
    /// <paramref name="seed"/>: the same seed gives the same model whatever other threads draw meanwhile.</summary>
    public static Gpt Create(GptConfig config, long seed, Device? device = null)
    {
        config.Validate();
        device ??= Runtime.TorchRuntime.Device;
        using var generator = new Generator((ulong)seed);
        return new Gpt(config, device, generator, initialize: true);
    }

    /// <summary>The model of <paramref name="config"/> with its parameters allocated but not initialised, for a loader
    /// that overwrites every value next (drawing a large model's initial weights only to discard them is
    /// slow).</summary>
    internal static Gpt CreateForLoading(GptConfig config, Device? device = null)
    {
        config.Validate();
        Runtime.TorchRuntime.EnsureInitialized();
        using var generator = new Generator(0);
        return new Gpt(config, device ?? Runtime.TorchRuntime.Device, generator, initialize: false);
    }

    /// <summary>Where the weights live; inputs must be on the same device.</summary>
    public Device Device { get; }

    public GptConfig Config { get; }

    public IReadOnlyList<Block> Blocks => blockArray;

    /// <summary>The token embedding weight (vocab × dim).</summary>
    public Parameter EmbeddingWeight => ((Embedding)wte).weight!;

    /// <summary>The output layer.</summary>
    public LinearLayer Head => lm_head;

    /// <summary>Soft-capped logits (B, T, vocab) for token ids (B, T).</summary>
    public override Tensor forward(Tensor idx)
    {
        using var scope = torch.NewDisposeScope();
        var x = RmsNorm.Apply(wte.forward(idx), Config.NormEps);
        foreach (var block in blocks) x = block.forward(x);
        var logits = lm_head.forward(RmsNorm.Apply(x, Config.NormEps));
        return SoftCap(logits).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy (nats) of <paramref name="targets"/>; targets equal to
    /// <paramref name="ignoreIndex"/> do not count.</summary>
    public Tensor Loss(Tensor idx, Tensor targets, long ignoreIndex = -1)
    {
        using var scope = torch.NewDisposeScope();
        var logits = forward(idx);
        var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), targets.view(-1),
            ignore_index: ignoreIndex);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Runs right-padded token rows (R, T) through the model, writing their keys and values into rows
    /// <paramref name="cacheRows"/> of <paramref name="cache"/> at columns 0 … T − 1; returns the soft-capped logits
    /// (R, vocab) at each row's last real token, <paramref name="lastIndex"/> (R) int64.</summary>
    internal Tensor Prefill(Tensor idx, long[] cacheRows, Tensor lastIndex, KeyValueCache cache)
    {
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        long r = idx.shape[0], t = idx.shape[1];
        var pass = new CachedPass
        {
            Positions = torch.arange(n.Of(0L), n.Of(t), n.Of(1L), device: Device).unsqueeze(0).expand(r, t),
            Rows = cacheRows,
        };
        var x = RmsNorm.Apply(wte.forward(idx), Config.NormEps);
        for (int i = 0; i < blockArray.Length; i++) x = blockArray[i].ForwardCached(x, cache.Keys(i), cache.Values(i),
            pass);
        var last = x.gather(1, lastIndex.view(r, 1, 1).expand(r, 1, x.shape[2])).squeeze(1);
        return SoftCap(lm_head.forward(RmsNorm.Apply(last, Config.NormEps))).MoveToOuterDisposeScope();
    }

    /// <summary>One new token per cache row, (B, 1), at column <paramref name="positions"/>[b] of its row, attending to
    /// columns 0 … positions[b]; returns the soft-capped logits (B, vocab).</summary>
    internal Tensor Decode(Tensor idx, long[] positions, KeyValueCache cache)
    {
        using var scope = torch.NewDisposeScope();
        using var n = new ScalarArgs();
        long b = idx.shape[0], width = positions.Max() + 1;
        var position = torch.tensor(positions, device: Device).view(b, 1);
        var mask = torch.arange(n.Of(0L), n.Of(width), n.Of(1L), device: Device).view(1, 1, 1,
            width) <= position.view(b, 1, 1, 1);
        var pass = new CachedPass { Positions = position, Mask = mask, Width = width };
        var x = RmsNorm.Apply(wte.forward(idx), Config.NormEps);
        for (int i = 0; i < blockArray.Length; i++) x = blockArray[i].ForwardCached(x, cache.Keys(i), cache.Values(i),
            pass);
        return SoftCap(lm_head.forward(RmsNorm.Apply(x.squeeze(1), Config.NormEps))).MoveToOuterDisposeScope();
    }

    Tensor SoftCap(Tensor logits)
    {
        double cap = Config.LogitSoftCap;
        if (cap <= 0) return logits;
        // c·tanh(z/c): the division makes a fresh tensor, so tanh can run in place on it.
        using var n = new ScalarArgs();
        using var capped = logits.div(n.Of(cap)).tanh_();
        return capped.mul(n.Of(cap));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rotary.Dispose();
        base.Dispose(disposing);
    }
}
