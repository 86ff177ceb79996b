// The shape of a GPT (model-spec §1–2): every constant is an option with the spec's default.
using Microsoft.ML.SearchSpace;
using static MLNet.LowRank.Common.OptionCheck;

namespace MLNet.LowRank.Model;

/// <summary>Architecture of a baseline or low-rank GPT. <see cref="Validate"/> names any invalid option and its
/// range.</summary>
public sealed record GptConfig
{
    /// <summary>Vocabulary size (token ids 0 … VocabSize − 1). Required by <c>Gpt.Create</c>; the trainer stage takes
    /// it from the tokenizer (leave it 0 there).</summary>
    [FromData]
    public int VocabSize { get; init; }

    /// <summary>Number of transformer blocks. Default 4.</summary>
    [Range(1, 48, 4, false)]
    public int Depth { get; init; } = 4;

    /// <summary>Model width. Default 256.</summary>
    [Choice(new object[] { 64, 128, 256, 384, 512, 768, 1024 }, 256)]
    public int ModelDim { get; init; } = 256;

    /// <summary>Width of one attention head; heads = ModelDim / HeadDim. Default 64.</summary>
    public int HeadDim { get; init; } = 64;

    /// <summary>Context length in tokens. Default 256.</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>MLP hidden width as a multiple of ModelDim. Default 4.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Parametrisation of the block (and, with <see cref="HeadRank"/>, head) matrices. Default Factored;
    /// a group whose rank is null stays dense whatever the variant.</summary>
    [Choice(new object[] { "Dense", "Factored", "FactoredDiagonal", "Cola" }, "Factored")]
    public LinearVariant Variant { get; init; } = LinearVariant.Factored;

    /// <summary>Rank of attention q, k, v, out per block; null = dense. Default null.</summary>
    public RankSchedule? AttentionRank { get; init; }

    /// <summary>Rank of MLP fc and proj per block; null = dense. Default null.</summary>
    public RankSchedule? MlpRank { get; init; }

    /// <summary>Rank of lm_head; null = dense. Default null.</summary>
    public Rank? HeadRank { get; init; }

    /// <summary>Factor initialisation. Default Matched.</summary>
    public FactorInit Init { get; init; } = FactorInit.Matched;

    /// <summary>Scheduled ranks are rounded to a multiple of this. Default 1.</summary>
    public int RankMultiple { get; init; } = 1;

    /// <summary>Logit soft-cap c in c·tanh(logits/c); 0 disables. Default 15.</summary>
    public double LogitSoftCap { get; init; } = 15;

    /// <summary>Rotary embedding base. Default 10000.</summary>
    public double RopeBase { get; init; } = 10000;

    /// <summary>RMS norm epsilon. Default 1e-6.</summary>
    public double NormEps { get; init; } = 1e-6;

    /// <summary>Number of attention heads.</summary>
    public int Heads => ModelDim / HeadDim;

    /// <summary>MLP hidden width.</summary>
    public int MlpDim => ModelDim * MlpRatio;

    /// <summary>True when the attention layers are factored.</summary>
    public bool AttentionIsFactored => Variant.IsFactored && AttentionRank is not null;

    /// <summary>True when the MLP layers are factored.</summary>
    public bool MlpIsFactored => Variant.IsFactored && MlpRank is not null;

    /// <summary>True when lm_head is factored.</summary>
    public bool HeadIsFactored => Variant.IsFactored && HeadRank is not null;

    /// <summary>The parametrisation the attention matrices get: <see cref="Variant"/> when they are factored, else
    /// Dense.</summary>
    public LinearVariant AttentionVariant => AttentionIsFactored ? Variant : LinearVariant.Dense;

    /// <summary>The parametrisation the MLP matrices get.</summary>
    public LinearVariant MlpVariant => MlpIsFactored ? Variant : LinearVariant.Dense;

    /// <summary>The parametrisation lm_head gets.</summary>
    public LinearVariant HeadVariant => HeadIsFactored ? Variant : LinearVariant.Dense;

    /// <summary>Rank of the attention matrices in block <paramref name="layer"/> (ModelDim when dense).</summary>
    public int AttentionRankAt(int layer) => AttentionIsFactored ? AttentionRank!.ResolveAt(layer, Depth, ModelDim,
        RankMultiple) : ModelDim;

    /// <summary>Rank of the MLP matrices in block <paramref name="layer"/> (ModelDim when dense).</summary>
    public int MlpRankAt(int layer) => MlpIsFactored ? MlpRank!.ResolveAt(layer, Depth, ModelDim,
        RankMultiple) : ModelDim;

    /// <summary>Rank of lm_head (min(ModelDim, VocabSize) when dense).</summary>
    public int HeadRankValue => HeadIsFactored ? (int)HeadRank!.Value.ValueFor(Math.Min(ModelDim,
        VocabSize)) : Math.Min(ModelDim, VocabSize);

    /// <summary>Upper bounds far beyond anything this library trains, and small enough that a configuration within them
    /// cannot ask for more than a few gigabytes of tables before anything is checked (a saved model's too).</summary>
    public const int MaxVocabSize = 1 << 24, MaxModelDim = 1 << 16, MaxDepth = 4096, MaxMlpRatio = 64;

    /// <summary>The largest SequenceLength × HeadDim (the rotary tables' size).</summary>
    public const long MaxRotaryValues = 1L << 28;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its allowed range.</summary>
    public void Validate()
    {
        Require(VocabSize is >= 2 and <= MaxVocabSize, nameof(VocabSize),
            VocabSize, $"must be in 2 … {MaxVocabSize:N0}");
        Require(Depth is >= 1 and <= MaxDepth, nameof(Depth), Depth, $"must be in 1 … {MaxDepth:N0}");
        Require(ModelDim is >= 2 and <= MaxModelDim, nameof(ModelDim), ModelDim, $"must be in 2 … {MaxModelDim:N0}");
        Require(HeadDim >= 2 && HeadDim % 2 == 0, nameof(HeadDim),
            HeadDim, "must be an even number ≥ 2 (rotary embeddings rotate pairs)");
        Require(ModelDim % HeadDim == 0, nameof(HeadDim),
            HeadDim, $"must divide {nameof(ModelDim)} = {ModelDim} so that heads = ModelDim / HeadDim is whole");
        Require(SequenceLength >= 2, nameof(SequenceLength), SequenceLength, "must be at least 2");
        Require(MlpRatio is >= 1 and <= MaxMlpRatio, nameof(MlpRatio), MlpRatio, $"must be in 1 … {MaxMlpRatio}");
        Require((long)SequenceLength * HeadDim <= MaxRotaryValues, nameof(SequenceLength), SequenceLength,
            $"times HeadDim = {HeadDim} must be at most {MaxRotaryValues:N0} (the rotary tables): a context this " +
            $"long cannot be trained here");
        Require(RankMultiple >= 1, nameof(RankMultiple), RankMultiple, "must be at least 1");
        Require(LogitSoftCap >= 0 && double.IsFinite(LogitSoftCap), nameof(LogitSoftCap),
            LogitSoftCap, "must be ≥ 0 (0 disables)");
        Require(RopeBase > 1 && double.IsFinite(RopeBase), nameof(RopeBase), RopeBase, "must be > 1");
        Require(NormEps > 0 && NormEps < 1, nameof(NormEps), NormEps, "must be in (0, 1)");
        ArgumentNullException.ThrowIfNull(Variant, nameof(Variant));
        // q, k, v, out are dim × dim and fc, proj have min(in, out) = dim: every block matrix's largest rank is
        // ModelDim.
        AttentionRank?.Validate(nameof(AttentionRank), ModelDim);
        MlpRank?.Validate(nameof(MlpRank), ModelDim);
        HeadRank?.Validate(nameof(HeadRank), Math.Min(ModelDim, VocabSize));
    }
}
