// --corpus: "brown" (the embedded default), a .jsonl/.jsonl.gz file, a folder of .txt files, or a folder/*.ext glob.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank;

namespace MLNet.LowRank.Cli;

static class CorpusOption
{
    public static Option<string> Corpus() => new("--corpus") { Description = "brown (embedded), a .jsonl[.gz] file, a folder of .txt files or a folder/*.txt glob.", DefaultValueFactory = _ => "brown" };
    public static Option<string> TextField() => new("--text-field") { Description = "JSONL field holding the text.", DefaultValueFactory = _ => "text" };
    public static Option<double> ValidationFraction() => new("--validation-fraction") { Description = "Share of documents held out (split by document).", DefaultValueFactory = _ => 0.1 };

    public static IDataView Load(MLContext ml, string corpus, string textField) =>
        corpus.Equals("brown", StringComparison.OrdinalIgnoreCase) ? ml.LowRank().Data.LoadBrownCorpus()
        : corpus.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || corpus.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase) ? ml.LowRank().Data.LoadJsonl(corpus, textField)
        : ml.LowRank().Data.LoadTextFiles(corpus);

    public static DocumentSplitResult LoadSplit(MLContext ml, string corpus, string textField, double validationFraction) =>
        ml.LowRank().Data.SplitByDocument(Load(ml, corpus, textField), validationFraction);
}
