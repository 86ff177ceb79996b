// What the bench subcommands share: the --threads and --csv options, the thread and memory policy text every table
// header prints, the Brown corpus as BPE tokens, and a --model spec applied through the option table.
using System.CommandLine;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Training;
using TorchSharp;

namespace MLNet.LowRank.Cli.Bench;

static class BenchShared
{
    public static Option<int?> Threads() => new("--threads") { Description = "Torch threads (default: torch's)." };

    /// <summary>--csv: where the rows go as CSV; none is written unless asked.</summary>
    public static Option<FileInfo?> Csv() => new("--csv") { Description = "Also write the rows as CSV to this file." };

    public static void SetThreads(int? threads)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        if (threads is int t)
        {
            if (t is < 1 or > Runtime.ThreadPolicy.MaxThreads)
                throw new ArgumentOutOfRangeException("--threads",
                    t, $"--threads must be in 1 … {Runtime.ThreadPolicy.MaxThreads:N0}; got {t}.");
            torch.set_num_threads(t);
        }
    }

    public static string RuntimePolicyText() =>
        $"{Runtime.ThreadPolicy.NativeVariable("OMP_WAIT_POLICY") ?? "OpenMP " +
        "default"} ({Runtime.ThreadPolicy.Report}); malloc: {Runtime.MemoryPolicy.Report}";

    /// <summary>The Brown training split as a BPE-tokenized stream, with the tokenizer.</summary>
    public static (LmTokenizer Tokenizer, TokenStream Stream, Microsoft.ML.IDataView Train) BrownTokens(Microsoft.ML.MLContext ml, int vocab)
    {
        var split = ml.LowRank().Data.SplitByDocument(ml.LowRank().Data.LoadBrownCorpus(), 0.1);
        var tokenizer = BpeTrainer.Train(LmTokenizerEstimator.ReadTexts(split.Train, "Text").ToList(), vocab);
        var docs =
            LmTokenizerEstimator.ReadTexts(split.Train, "Text").Select(t =>
            (IReadOnlyList<int>)tokenizer.Encode(t)).ToList();
        return (tokenizer, new TokenStream(docs, tokenizer.BosId), split.Train);
    }

    /// <summary>Sets trainer options from "Name=value;Name=value" (a bench --model spec).</summary>
    public static void ApplySpec(LowRankLmTrainer.Options o, string spec)
    {
        foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = TrainCommand.SplitAssignment(part);
            TrialParameters.Set(o, name, value);
        }
    }
}
