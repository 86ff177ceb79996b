// What a training run will hold in memory, from its configuration alone, before the first allocation: float32 weights,
// their gradients and the optimizer's state (two values per parameter at most: AdamW's moments; Muon keeps one), and
// one micro-batch's activations kept for the backward pass. A run that clearly cannot fit is refused with both figures,
// so a 35-billion-parameter typo is one line instead of a native allocator's stack trace.
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Training;

/// <summary>A lower-bound estimate of a training run's memory, and the check against the machine.</summary>
public static class MemoryNeed
{
    /// <summary>Bytes the run needs at least: 4 float32 values per parameter (weight, gradient, two optimizer values),
    /// plus per micro-batch token each layer's saved activations (about (12 + 3·MlpRatio)·dim floats), attention scores
    /// (heads·T floats per token) and the logits with their gradient (3·vocab floats per token).</summary>
    public static long Bytes(GptConfig config, TrainingOptions training)
    {
        var summary = ModelSummary.For(config);
        double tokens = (double)training.BatchSize * config.SequenceLength;
        double perToken =
            config.Depth * ((12.0 + 3.0 * config.MlpRatio) * config.ModelDim + (double)config.Heads * config.SequenceLength)
            + 3.0 * config.VocabSize;
        double bytes = 4.0 * sizeof(float) * summary.TotalParameters + sizeof(float) * tokens * perToken;
        return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
    }

    /// <summary>The memory this process may use: the GC's view of available physical memory (a container's limit
    /// included).</summary>
    public static long Available() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws, naming the need and the machine's memory, when <see cref="Bytes"/> exceeds
    /// <paramref name="available"/> (default: <see cref="Available"/>). Only for the CPU: a GPU's memory is its
    /// own.</summary>
    public static void Check(GptConfig config, TrainingOptions training, long? available = null)
    {
        long need = Bytes(config, training), have = available ?? Available();
        if (need > have)
            throw new ArgumentOutOfRangeException(nameof(config), need,
                $"This run needs at least {Gib(need)} of memory " +
                $"({ModelSummary.For(config).TotalParameters:N0} parameters with their gradients and optimizer " +
                $"state, and one micro-batch of {training.BatchSize} × {config.SequenceLength} tokens' activations); " +
                $"this machine has {Gib(have)}. Use a smaller ModelDim, Depth, MlpRatio or vocabulary, or a smaller " +
                $"BatchSize with GradientAccumulationSteps.");
    }

    static string Gib(long bytes) => bytes >= 1L << 40
        ? $"{bytes / (double)(1L << 40):N1} TiB" : $"{bytes / (double)(1L << 30):N1} GiB";
}
