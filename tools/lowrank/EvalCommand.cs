// `lowrank eval`: load a saved model and report its metrics on held-out documents: a corpus's (the same split as
// train), or a token-shard directory's validation split. A model trained from shards has no tokenizer stage; it carries
// its tokenizer, which then tokenizes the corpus.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Cli;

static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model")
        {
            Description = "A model zip saved by train --save or mlContext.Model.Save.",
            Required = true,
        };
        var corpus = CorpusOption.Corpus();
        var textField = CorpusOption.TextField();
        var fraction = CorpusOption.ValidationFraction();
        var shards = new Option<DirectoryInfo?>("--shards")
        {
            Description = "Evaluate on the validation split of token shards (lowrank tokenize) instead of --corpus; " +
                "their tokenizer must be the model's.",
        };
        var command =
            new Command("eval", "Perplexity, cross-entropy and bits per byte of a saved model on a corpus's held-out " +
            "documents (the same split as train), or on token shards' validation split.")
        {
            model, corpus, textField, fraction, shards,
        };
        command.SetAction(parse =>
        {
            var ml = new MLContext(seed: 1);
            var loaded = ml.LowRank().LoadModel(parse.GetValue(model)!.FullName);
            using var lm = loaded.GetLanguageModel();
            IDataView scored;
            if (parse.GetValue(shards) is { } dir)
            {
                using var validation = ml.LowRank().Data.LoadTokenShards(dir.FullName, "validation",
                    lm.TokensColumnName);
                if (validation.Tokenizer.Fingerprint != lm.Tokenizer.Fingerprint)
                    throw new ArgumentException($"--shards {dir.FullName}: its tokens are of " +
                        $"tokenizer {validation.Tokenizer} [{validation.Tokenizer.Fingerprint}], the model's are " +
                        $"of {lm.Tokenizer} [{lm.Tokenizer.Fingerprint}]. Evaluate on shards written with the " +
                        $"model's tokenizer, or on a corpus (--corpus).");
                Console.WriteLine(ml.LowRank().Evaluate(lm.Transform(validation)));
                return 0;
            }
            var split = CorpusOption.LoadSplit(ml, parse.GetValue(corpus)!, parse.GetValue(textField)!,
                parse.GetValue(fraction));
            if (split.Validation is null)
                throw new ArgumentException("eval scores held-out text: give --validation-fraction above 0.");
            // A pipeline with its tokenizer stage reads the text; a bare model (trained from shards) gets its own
            // tokenizer in front.
            scored = split.Validation!.Schema.GetColumnOrNull(lm.TokensColumnName) is null
                && loaded is Transformers.LowRankLmTransformer
                ? lm.Transform(ml.Transforms.Text.TokenizeForLanguageModel(lm.TokensColumnName, "Text",
                LmTokenizer.Use(lm.Tokenizer)).Fit(split.Validation).Transform(split.Validation))
                : loaded.Transform(split.Validation);
            Console.WriteLine(ml.LowRank().Evaluate(scored));
            return 0;
        });
        return command;
    }
}
