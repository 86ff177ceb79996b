// `lowrank eval`: load a saved model and report its metrics on the held-out documents of a corpus.
using System.CommandLine;
using Microsoft.ML;

namespace MLNet.LowRank.Cli;

static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A model zip saved by train --save or mlContext.Model.Save.", Required = true };
        var corpus = CorpusOption.Corpus();
        var textField = CorpusOption.TextField();
        var fraction = CorpusOption.ValidationFraction();
        var command = new Command("eval", "Perplexity, cross-entropy and bits per byte of a saved model on a corpus's held-out documents (the same split as train).")
        {
            model, corpus, textField, fraction,
        };
        command.SetAction(parse =>
        {
            var ml = new MLContext(seed: 1);
            var loaded = ml.LowRank().LoadModel(parse.GetValue(model)!.FullName);
            var split = CorpusOption.LoadSplit(ml, parse.GetValue(corpus)!, parse.GetValue(textField)!, parse.GetValue(fraction));
            Console.WriteLine(ml.LowRank().Evaluate(loaded.Transform(split.Validation)));
            loaded.GetLanguageModel().Dispose();
            return 0;
        });
        return command;
    }
}
