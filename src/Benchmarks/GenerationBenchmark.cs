// `lowrank bench generate`: new tokens per second of greedy generation, with the key/value cache and without it (the
// whole context run again for every token), for single prompts and a batch. Generation never stops early (the end of
// the document is ignored), so every run produces exactly the tokens it is timed for.
using System.Diagnostics;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Generation;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Benchmarks;

/// <summary>One measured generation setting.</summary>
/// <param name="Batch">Prompts generated together.</param>
/// <param name="UseCache">Whether the key/value cache was used.</param>
/// <param name="NewTokens">New tokens per prompt.</param>
/// <param name="MedianSeconds">Median wall-clock seconds of one run (all prompts).</param>
/// <param name="TokensPerSecond">Batch × new tokens ÷ median seconds.</param>
public sealed record GenerationMeasurement(int Batch, bool UseCache, int NewTokens, double MedianSeconds,
    double TokensPerSecond);

/// <summary>Times text generation.</summary>
public static class GenerationBenchmark
{
    /// <summary>Times <paramref name="repeats"/> runs (after one untimed) of each batch size, cached and
    /// uncached.</summary>
    public static IReadOnlyList<GenerationMeasurement> Run(Gpt model, LmTokenizer tokenizer,
        IReadOnlyList<string> prompts, int newTokens, IReadOnlyList<int> batches, int repeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(newTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        if (prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        var results = new List<GenerationMeasurement>();
        foreach (int batch in batches)
        {
            var batchPrompts = Enumerable.Range(0, batch).Select(i => prompts[i % prompts.Count]).ToArray();
            foreach (bool cache in new[] { true, false })
            {
                var options = new GenerationOptions
                {
                    MaxNewTokens = newTokens,
                    Temperature = 0,
                    StopAtEndOfDocument = false,
                    UseCache = cache,
                };
                var seconds = new List<double>();
                for (int r = 0; r <= repeats; r++)
                {
                    var sw = Stopwatch.StartNew();
                    var output = TextGeneration.Run(model, tokenizer, batchPrompts, options);
                    sw.Stop();
                    if (output.Any(o => o.TokenIds.Count != newTokens))
                        throw new InvalidOperationException("A benchmark run stopped early; every prompt must get " +
                            "all its tokens.");
                    if (r > 0) seconds.Add(sw.Elapsed.TotalSeconds);
                }
                double median = seconds.Order().ElementAt(seconds.Count / 2);
                results.Add(new GenerationMeasurement(batch, cache, newTokens, median, batch * newTokens / median));
            }
        }
        return results;
    }
}
