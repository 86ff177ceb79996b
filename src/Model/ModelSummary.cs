// Closed-form parameter counts, ranks per layer and training FLOPs per token (model-spec §3), from the config alone —
// so a sweep can plan before it builds anything. Tests hold these equal to the built module's real counts.
using System.Globalization;
using System.Text;

namespace MLNet.LowRank.Model;

/// <summary>Parameters of one block by group, and its ranks.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="AttentionRank">Rank of q, k, v, out (ModelDim when dense).</param>
/// <param name="MlpRank">Rank of fc and proj (ModelDim when dense).</param>
/// <param name="AttentionParameters">Parameters of q, k, v, out.</param>
/// <param name="MlpParameters">Parameters of fc and proj.</param>
public sealed record BlockSummary(int Layer, int AttentionRank, int MlpRank, long AttentionParameters,
    long MlpParameters);

/// <summary>What a configuration costs: parameters by part, ranks per block, FLOPs per token.</summary>
public sealed class ModelSummary
{
    ModelSummary(GptConfig config, IReadOnlyList<BlockSummary> blocks, long head, long headMatmul, long blockMatmul)
    {
        Config = config;
        Blocks = blocks;
        EmbeddingParameters = (long)config.VocabSize * config.ModelDim;
        HeadParameters = head;
        BlockParameters = blocks.Sum(b => b.AttentionParameters + b.MlpParameters);
        MatmulParameters = blockMatmul + headMatmul;
        FlopsPerToken = 6.0 * MatmulParameters + 12.0 * config.Depth * config.SequenceLength * config.ModelDim;
        Warnings = BuildWarnings(config, blocks);
    }

    public GptConfig Config { get; }

    /// <summary>Per block: ranks and parameters by group.</summary>
    public IReadOnlyList<BlockSummary> Blocks { get; }

    /// <summary>wte parameters (vocab × dim).</summary>
    public long EmbeddingParameters { get; }

    /// <summary>lm_head parameters.</summary>
    public long HeadParameters { get; }

    /// <summary>All block parameters (attention + MLP).</summary>
    public long BlockParameters { get; }

    /// <summary>Attention parameters over all blocks.</summary>
    public long AttentionParameters => Blocks.Sum(b => b.AttentionParameters);

    /// <summary>MLP parameters over all blocks.</summary>
    public long MlpParameters => Blocks.Sum(b => b.MlpParameters);

    /// <summary>Every trainable parameter.</summary>
    public long TotalParameters => EmbeddingParameters + HeadParameters + BlockParameters;

    /// <summary>Everything but wte.</summary>
    public long NonEmbeddingParameters => TotalParameters - EmbeddingParameters;

    /// <summary>N_mm: parameters used in matrix products (block matrices and lm_head; not wte, not
    /// diagonals).</summary>
    public long MatmulParameters { get; }

    /// <summary>Training FLOPs per token: 6·N_mm + 12·L·T·dim.</summary>
    public double FlopsPerToken { get; }

    /// <summary>FLOPs of Muon's Newton–Schulz in one optimizer step over every block matrix (not part of
    /// <see cref="FlopsPerToken"/>, and independent of the batch): per iteration on an a × b matrix in its wide
    /// orientation (a ≤ b), X·Xᵀ costs 2a²b, the Gram polynomial 2a³ and its product with X 2a²b. Factored layers
    /// count their two factors (the shapes of U·V; other variants are counted as if they had them).</summary>
    public double NewtonSchulzFlopsPerStep(int iterations = 5)
    {
        static double Matrix(long rows, long cols)
        {
            long a = Math.Min(rows, cols), b = Math.Max(rows, cols);
            return 4.0 * a * a * b + 2.0 * a * a * a;
        }
        static double Layer(bool lowRank, int inF, int outF, int rank) => lowRank ? Matrix(outF, rank) + Matrix(rank,
            inF) : Matrix(outF, inF);
        int d = Config.ModelDim, h = Config.MlpDim;
        double perIteration = Blocks.Sum(b =>
            4 * Layer(Config.AttentionIsFactored, d, d, b.AttentionRank)
            + Layer(Config.MlpIsFactored, d, h, b.MlpRank) + Layer(Config.MlpIsFactored, h, d, b.MlpRank));
        return iterations * perIteration;
    }

    /// <summary>Notes such as ranks that save no parameters over the dense layer.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Bytes of parameters + gradients + optimizer state in float32, for
    /// <paramref name="optimizerStatePerParameter"/> state values per parameter.</summary>
    public long StateBytes(double optimizerStatePerParameter) =>
        (long)(TotalParameters * (2 + optimizerStatePerParameter) * sizeof(float));

    /// <summary>The summary of <paramref name="config"/> (validated first).</summary>
    public static ModelSummary For(GptConfig config)
    {
        config.Validate();
        int dim = config.ModelDim, hidden = config.MlpDim;
        var (attnVariant, mlpVariant, headVariant) = (config.AttentionVariant, config.MlpVariant, config.HeadVariant);
        var blocks = new List<BlockSummary>();
        long blockMatmul = 0;
        for (int i = 0; i < config.Depth; i++)
        {
            int ra = config.AttentionRankAt(i), rm = config.MlpRankAt(i);
            long attn = 4 * attnVariant.ParameterCount(dim, dim, ra);
            long mlp = mlpVariant.ParameterCount(dim, hidden, rm) + mlpVariant.ParameterCount(hidden, dim, rm);
            blockMatmul += 4 * attnVariant.MatmulParameterCount(dim, dim, ra)
                + mlpVariant.MatmulParameterCount(dim, hidden, rm) + mlpVariant.MatmulParameterCount(hidden, dim, rm);
            blocks.Add(new BlockSummary(i, ra, rm, attn, mlp));
        }
        int rh = config.HeadRankValue;
        return new ModelSummary(config, blocks,
            headVariant.ParameterCount(dim, config.VocabSize, rh),
            headVariant.MatmulParameterCount(dim, config.VocabSize, rh), blockMatmul);
    }

    static List<string> BuildWarnings(GptConfig c, IReadOnlyList<BlockSummary> blocks)
    {
        var w = new List<string>();
        // A factored layer saves nothing once the variant's own count reaches in·out: for U·V that is r·(in + out) ≥
        // in·out, compared in integers (a truncated break-even rank would flag ranks that still save parameters).
        void Check(bool lowRank, string option, IEnumerable<int> ranks, int inF, int outF)
        {
            if (!lowRank) return;
            var wasteful = ranks.Where(r => c.Variant.ParameterCount(inF, outF,
                r) >= (long)inF * outF).Distinct().Order().ToList();
            if (wasteful.Count > 0)
                w.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{option} {string.Join(", ", wasteful)} on {inF}→{outF} layers: {c.Variant.Name} factors of that rank hold at least the dense layer's {(long)inF * outF:N0} parameters (break-even rank {(double)inF * outF / (inF + outF):0.#} for U·V), so they save nothing."));
        }
        Check(c.AttentionIsFactored, "AttentionRank", blocks.Select(b => b.AttentionRank), c.ModelDim, c.ModelDim);
        Check(c.MlpIsFactored, "MlpRank", blocks.Select(b => b.MlpRank), c.ModelDim, c.MlpDim);
        Check(c.HeadIsFactored, "HeadRank", [c.HeadRankValue], c.ModelDim, c.VocabSize);
        return w;
    }

    /// <summary>A few lines for logs and the console.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"GPT depth {Config.Depth}, dim {Config.ModelDim}, heads {Config.Heads}×{Config.HeadDim}, seq {Config.SequenceLength}, vocab {Config.VocabSize}, variant {(Config.AttentionIsFactored || Config.MlpIsFactored || Config.HeadIsFactored ? Config.Variant.Name : "Dense")}");
        sb.AppendLine(ci, $"parameters: total {TotalParameters:N0}, embedding {EmbeddingParameters:N0}, head {HeadParameters:N0}, blocks {BlockParameters:N0} (attention {AttentionParameters:N0}, MLP {MlpParameters:N0}), non-embedding {NonEmbeddingParameters:N0}");
        sb.AppendLine(ci, $"ranks per block (attention/MLP): {string.Join(" ", Blocks.Select(b => $"{b.AttentionRank}/{b.MlpRank}"))}");
        sb.Append(ci, $"training FLOPs per token: {FlopsPerToken:E3}");
        foreach (var warning in Warnings) sb.AppendLine().Append("note: ").Append(warning);
        return sb.ToString();
    }
}
