// The plug-in point for weight parametrisations (model-spec §2). A variant says how many parameters a layer of a given
// shape and rank has and builds the module; add one by subclassing LinearVariant and passing it in the options.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.LowRank.Model;

/// <summary>What a variant needs to build one layer y = f(x), x: in, y: out.</summary>
/// <param name="InFeatures">Input width.</param>
/// <param name="OutFeatures">Output width.</param>
/// <param name="Rank">The resolved rank (ignored by <see cref="LinearVariant.Dense"/>).</param>
/// <param name="Init">Factor initialisation.</param>
/// <param name="ZeroOutput">The baseline starts this layer at zero (lm_head, attention out, MLP proj).</param>
/// <param name="Generator">Where initial values are drawn from (the model's own generator); null = torch's global
/// one.</param>
/// <param name="Initialize">False when saved weights will overwrite every value (loading a model): the layer may leave
/// its parameters uninitialised instead of drawing values nobody reads.</param>
public sealed record LinearLayerSpec(int InFeatures, int OutFeatures, int Rank, FactorInit Init, bool ZeroOutput,
    torch.Generator? Generator = null, bool Initialize = true);

/// <summary>A weight parametrisation of a linear layer: dense, or one of the low-rank variants.</summary>
public abstract class LinearVariant
{
    /// <summary>The name used in options, summaries and results.</summary>
    public abstract string Name { get; }

    /// <summary>False for <see cref="Dense"/>: its layers ignore ranks.</summary>
    public virtual bool IsFactored => true;

    /// <summary>Trainable parameters of one layer (closed form; must equal the built module's count).</summary>
    public abstract long ParameterCount(int inFeatures, int outFeatures, int rank);

    /// <summary>Parameters that take part in matrix products (for FLOPs per token, model-spec §3).</summary>
    public virtual long MatmulParameterCount(int inFeatures, int outFeatures, int rank) => ParameterCount(inFeatures,
        outFeatures, rank);

    /// <summary>Builds the layer, drawing its initial values from <see cref="LinearLayerSpec.Generator"/>.</summary>
    public abstract LinearLayer Create(LinearLayerSpec spec);

    public override string ToString() => Name;

    /// <summary><c>W x</c>.</summary>
    public static LinearVariant Dense { get; } = new DenseVariant();
    /// <summary><c>U (V x)</c>.</summary>
    public static LinearVariant Factored { get; } = new FactoredVariant();
    /// <summary><c>U (V x) + D ⊙ x</c> on the first min(in, out) coordinates.</summary>
    public static LinearVariant FactoredDiagonal { get; } = new FactoredDiagonalVariant();
    /// <summary><c>U σ(V x)</c>, σ = SiLU (CoLA).</summary>
    public static LinearVariant Cola { get; } = new ColaVariant();

    /// <summary>A built-in or registered (<see cref="ExtensionRegistry.Register(LinearVariant)"/>) variant by name,
    /// case-insensitive.</summary>
    /// <exception cref="ArgumentException">No such variant is built in or registered; the message names the
    /// registration to make.</exception>
    public static LinearVariant Parse(string name) => BuiltIn.FirstOrDefault(v => string.Equals(v.Name, name,
        StringComparison.OrdinalIgnoreCase))
        ?? ExtensionRegistry.FindVariant(name)
        ?? throw new ArgumentException($"Unknown linear variant '{name}'. " +
        $"Known: {string.Join(", ", BuiltIn.Select(v => v.Name).Concat(ExtensionRegistry.VariantNames))}. A variant " +
        $"of your own must be registered first: ExtensionRegistry.Register(new YourVariant()).", nameof(name));

    /// <summary>True for a built-in variant, or the very variant registered under this one's name: what a saved model
    /// can name.</summary>
    public bool IsNamed => BuiltIn.Contains(this) || ReferenceEquals(ExtensionRegistry.FindVariant(Name), this);

    /// <summary>The variants that ship with the library.</summary>
    public static IReadOnlyList<LinearVariant> BuiltIn { get; } = [Dense, Factored, FactoredDiagonal, Cola];

    sealed class DenseVariant : LinearVariant
    {
        public override string Name => "Dense";
        public override bool IsFactored => false;
        public override long ParameterCount(int i, int o, int r) => (long)i * o;
        public override LinearLayer Create(LinearLayerSpec s) => new DenseLinear(s.InFeatures, s.OutFeatures,
            s.ZeroOutput, s.Generator, s.Initialize);
    }

    sealed class FactoredVariant : LinearVariant
    {
        public override string Name => "Factored";
        public override long ParameterCount(int i, int o, int r) => (long)r * (i + o);
        public override LinearLayer Create(LinearLayerSpec s) => new FactoredLinear(s);
    }

    sealed class FactoredDiagonalVariant : LinearVariant
    {
        public override string Name => "FactoredDiagonal";
        public override long ParameterCount(int i, int o, int r) => (long)r * (i + o) + Math.Min(i, o);
        public override long MatmulParameterCount(int i, int o, int r) => (long)r * (i + o);
        public override LinearLayer Create(LinearLayerSpec s) => new FactoredDiagonalLinear(s);
    }

    sealed class ColaVariant : LinearVariant
    {
        public override string Name => "Cola";
        public override long ParameterCount(int i, int o, int r) => (long)r * (i + o);
        public override LinearLayer Create(LinearLayerSpec s) => new ColaLinear(s);
    }
}
