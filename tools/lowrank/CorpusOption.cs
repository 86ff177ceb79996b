// --corpus: "brown" (the embedded default), a .jsonl/.jsonl.gz file, a folder of .txt files, or a folder/*.ext glob.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank;

namespace MLNet.LowRank.Cli;

static class CorpusOption
{
    public static Option<string> Corpus() => new("--corpus")
    {
        Description = "brown (embedded), a .jsonl[.gz] file, a folder of .txt files or a folder/*.txt glob.",
        DefaultValueFactory = _ => "brown",
    };
    public static Option<string> TextField() => new("--text-field")
    {
        Description = "JSONL field holding the text.",
        DefaultValueFactory = _ => "text",
    };
    public static Option<double> ValidationFraction() => new("--validation-fraction")
    {
        Description = "Share held out for validation: by document, or — when the corpus has too few documents for " +
            "that (one text file) — the end of each document by position. 0 trains without validation.",
        DefaultValueFactory = _ => 0.1,
    };
    public static Option<string?> ValidationCorpus() => new("--validation-corpus")
    {
        Description = "A separate validation corpus (same forms as --corpus); the whole --corpus then trains.",
    };

    public static IDataView Load(MLContext ml, string corpus, string textField) =>
        corpus.Equals("brown", StringComparison.OrdinalIgnoreCase) ? ml.LowRank().Data.LoadBrownCorpus()
        : corpus.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || corpus.EndsWith(".jsonl.gz",
        StringComparison.OrdinalIgnoreCase) ? ml.LowRank().Data.LoadJsonl(corpus, textField)
        : ml.LowRank().Data.LoadTextFiles(corpus);

    /// <summary>The training set and the validation set (null: none, as asked with fraction 0): a separate validation
    /// corpus when given; else split by document; else — when that leaves a side empty — by position, said on
    /// stderr.</summary>
    public static (IDataView Train, IDataView? Validation) LoadSplit(MLContext ml, string corpus, string textField,
        double validationFraction, string? validationCorpus = null)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException("--validation-fraction",
                validationFraction, $"--validation-fraction must be in [0, 1) (0 = no validation); " +
                $"got {validationFraction}.");
        var all = Load(ml, corpus, textField);
        if (validationCorpus is not null) return (all, Load(ml, validationCorpus, textField));
        if (validationFraction == 0) return (all, null);
        var split = ml.LowRank().Data.SplitByDocument(all, validationFraction);
        bool Empty(IDataView v) => !ml.Data.CreateEnumerable<Data.DocumentRow>(v,
            reuseRowObject: true).Any(r => r.Text.Length > 0);
        if (!Empty(split.Train) && !Empty(split.Validation)) return (split.Train, split.Validation);
        Console.Error
            .WriteLine($"lowrank: {corpus} has too few documents to hold {validationFraction:P0} of them out; " +
            $"holding out the last {validationFraction:P0} of each document by position instead (as nanoGPT does). " +
            $"Give --validation-corpus to validate on other text.");
        var byPosition = ml.LowRank().Data.SplitByPosition(all, validationFraction);
        return (byPosition.Train, byPosition.Validation);
    }
}
