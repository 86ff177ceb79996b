// `lowrank tokenize`: text corpora (files, folders, globs, JSONL) → token shards with a manifest, streamed, tokenized
// in parallel, resumable; then `lowrank train --shards <dir>` trains on them without loading them into memory.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;
using Spectre.Console;

namespace MLNet.LowRank.Cli;

static class TokenizeCommand
{
    public static Command Create()
    {
        var input = new Option<string[]>("--input")
        {
            Description = "Text to tokenize: .txt files, folders of .txt files, folder/*.ext globs, .jsonl[.gz] " +
                "files (repeatable; read in order).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var textField = CorpusOption.TextField();
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = LmTokenizer.NameHelp + " Here a BPE trains on the input's first 20 MB.",
            DefaultValueFactory = _ => LmTokenizer.DefaultName,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "The shard directory (manifest.json, train_*.bin, validation_*.bin). Running again resumes " +
                "it.",
            Required = true,
        };
        var fraction = new Option<double>("--validation-fraction")
        {
            Description = "Share of documents held out, by a stable hash of each id.",
            DefaultValueFactory = _ => 0.01,
        };
        var shardTokens = new Option<long>("--shard-tokens")
        {
            Description = "Training tokens per shard.",
            DefaultValueFactory = _ => 100_000_000,
        };
        var force = new Option<bool>("--force")
        {
            Description = "Write into a non-empty folder that has no manifest (its files are left alone).",
        };
        var command =
            new Command("tokenize", "Tokenize text corpora into token shards (a header and uint16/uint32 ids, " +
            "nanoGPT style) with a manifest naming the tokenizer.\n" +
            "Example: lowrank tokenize --input corpus/*.txt --tokenizer gpt2 --out shards; lowrank train --shards " +
            "shards --seconds 600")
        {
            input, textField, tokenizer, output, fraction, shardTokens, force,
        };
        command.SetAction((parse, ct) => Task.Run(() =>
        {
            var inputs = parse.GetValue(input)!;
            string field = parse.GetValue(textField)!;
            IEnumerable<CorpusDocument> Documents() => inputs.SelectMany(i =>
                i.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || i.EndsWith(".jsonl.gz",
                StringComparison.OrdinalIgnoreCase)
                    ? CorpusReaders.EnumerateJsonl(i, field).Select(d => d with { Id = $"{i}#{d.Id}" })
                    : CorpusReaders.EnumerateTextFiles(i).Select(d => d with { Id = $"{i}#{d.Id}" }));
            foreach (var i in inputs)
                if (!File.Exists(i) && CorpusReaders.Files(i).Files.Count == 0)
                    throw new FileNotFoundException($"--input '{i}' matches no files.", i);
            var lm = BuildTokenizer(parse.GetValue(tokenizer)!, Documents);
            var options = new TokenizeOptions
            {
                ValidationFraction = parse.GetValue(fraction),
                ShardTokens = parse.GetValue(shardTokens),
                Force = parse.GetValue(force),
            };
            string dir = parse.GetValue(output)!.FullName;
            ShardManifest manifest;
            if (LiveProgress.IsLive)
                manifest = AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(),
                    new SpinnerColumn(), new ElapsedTimeColumn()).Start(context =>
                {
                    var task = context.AddTask("tokenizing");
                    task.IsIndeterminate = true;
                    var m = TokenShards.Write(Documents(), lm, dir, inputs, options,
                        new SynchronousProgress<TokenizeProgress>(p => task.Description = Markup.Escape(p.ToString())),
                        ct);
                    task.StopTask();
                    return m;
                });
            else
            {
                long next = 0;
                manifest = TokenShards.Write(Documents(), lm, dir, inputs, options,
                    new SynchronousProgress<TokenizeProgress>(p =>
                {
                    if (p.Bytes < next) return;
                    Console.WriteLine(p);
                    next = p.Bytes + 50_000_000; // a line per 50 MB of input
                }), ct);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {dir}: {manifest.DocumentsConsumed:N0} documents ({manifest.BytesConsumed / 1e6:N1} MB), {manifest.TokensOf("train"):N0} training and {manifest.TokensOf("validation"):N0} validation tokens in {manifest.Shards.Count} shards; tokenizer {lm} [{lm.Fingerprint}]"));
            return 0;
        }, ct));
        return command;
    }

    static LmTokenizer BuildTokenizer(string text, Func<IEnumerable<CorpusDocument>> documents)
    {
        if (text.StartsWith("bpe:", StringComparison.OrdinalIgnoreCase))
        {
            // A BPE learns from a sample: the input's opening documents, up to 20 MB.
            long bytes = 0;
            var sample = documents().TakeWhile(d => (bytes += d.Text.Length) <= 20_000_000
                || bytes == d.Text.Length).Select(d => d.Text).ToList();
            return LmTokenizer.Parse(text).Create(sample);
        }
        return LmTokenizer.Parse(text).Create([]);
    }
}
