// How to continue a prompt: length, sampling (temperature, top-k, top-p), stop sequences, seed. Every default is what
// a user gets from LowRankLmTransformer.Generate without options.
using static MLNet.LowRank.Common.OptionCheck;

namespace MLNet.LowRank.Generation;

/// <summary>Options of text generation.</summary>
public sealed record GenerationOptions
{
    /// <summary>New tokens to generate at most. Default 100.</summary>
    public int MaxNewTokens { get; init; } = 100;

    /// <summary>Softmax temperature; 0 (or anything below <see cref="GreedyBelow"/>) = greedy (argmax, no randomness).
    /// Default 0.8.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Sample only from the k most likely tokens; 0 = no limit. Default 40.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Nucleus sampling: only from the most likely tokens whose probabilities add up to p (after top-k); 1 =
    /// no limit. Default 1.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Generation stops when the text produced contains one of these; the text returned ends before it.
    /// Default none.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Stop when the model predicts the end of the document (its BOS token). Default true.</summary>
    public bool StopAtEndOfDocument { get; init; } = true;

    /// <summary>Seed of the sampler. Every prompt gets its own generator, seeded with this seed and the prompt's text,
    /// so a prompt gets the same text alone or in a batch, and different prompts draw different random numbers. Default
    /// 0.</summary>
    public int Seed { get; init; }

    /// <summary>Keep keys and values of past tokens (a KV cache) instead of recomputing the whole context for every new
    /// token. Both give the same tokens up to floating-point rounding; false exists to measure and check the cache.
    /// Default true.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Temperatures below this sample greedily (0 included): the float32 division by them is not
    /// representable.</summary>
    public const double GreedyBelow = 1e-30;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Require(MaxNewTokens >= 0, nameof(MaxNewTokens), MaxNewTokens, "must be ≥ 0");
        Require(Temperature >= 0 && !double.IsInfinity(Temperature), nameof(Temperature),
            Temperature, "must be a finite number ≥ 0 (0 = greedy)");
        Require(TopK >= 0, nameof(TopK), TopK, "must be ≥ 0 (0 = no limit)");
        Require(TopP > 0 && TopP <= 1, nameof(TopP), TopP, "must be in (0, 1] (1 = no nucleus cut)");
        ArgumentNullException.ThrowIfNull(StopSequences, nameof(StopSequences));
        if (StopSequences.Any(string.IsNullOrEmpty))
            throw new ArgumentException($"{nameof(StopSequences)} holds an empty string, which would stop at once; " +
                $"remove it.", nameof(StopSequences));
    }
}

/// <summary>Why generation of a prompt ended.</summary>
public enum FinishReason
{
    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> tokens were generated.</summary>
    Length,
    /// <summary>The model predicted the end of the document.</summary>
    EndOfDocument,
    /// <summary>The text reached one of <see cref="GenerationOptions.StopSequences"/>.</summary>
    StopSequence,
}

/// <summary>The continuation of one prompt.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Text">The generated text (without the prompt, ending before a stop sequence).</param>
/// <param name="TokenIds">The generated token ids (a stop sequence's tokens included, the end-of-document token
/// not).</param>
/// <param name="Reason">Why generation ended.</param>
public sealed record GeneratedText(string Prompt, string Text, IReadOnlyList<int> TokenIds, FinishReason Reason);
