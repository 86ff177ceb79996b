// The tokenizer choices, the same for `train --tokenizer`, `tokenize --tokenizer` and a sweep config's "tokenizer":
// bytes (the default everywhere), gpt2, cl100k, o200k, tiktoken:<file>, or bpe:N (trained on the training documents).
using System.Globalization;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Cli;

static class TokenizerOption
{
    public const string Help = "bytes (default), gpt2, cl100k, o200k, tiktoken:<file> (a ranks file), or bpe:N (a BPE of N tokens trained on the training documents).";

    /// <summary>What every command takes when no tokenizer is given.</summary>
    public const string Default = "bytes";

    public static LmTokenizerFactory Parse(string text) => text.ToLowerInvariant() switch
    {
        "bytes" => LmTokenizer.Bytes(),
        "gpt2" => LmTokenizer.Gpt2(),
        "cl100k" or "cl100k_base" => LmTokenizer.Cl100k(),
        "o200k" or "o200k_base" => LmTokenizer.O200k(),
        var t when t.StartsWith("bpe:", StringComparison.Ordinal) && int.TryParse(t[4..], CultureInfo.InvariantCulture, out int n) => LmTokenizer.Bpe(n),
        var t when t.StartsWith("tiktoken:", StringComparison.Ordinal) => LmTokenizer.Use(LmTokenizer.FromTiktokenFile(text["tiktoken:".Length..])),
        _ => throw new ArgumentException($"Unknown tokenizer '{text}'. Use {Help}"),
    };
}
