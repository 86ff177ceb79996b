// `lowrank train`: one training run on the embedded Brown corpus (byte-level tokens), printing the model summary,
// progress, and a final line with parameters, throughput, validation loss and peak memory.
using System.CommandLine;
using System.Globalization;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var depth = new Option<int>("--depth") { Description = "Transformer blocks.", DefaultValueFactory = _ => 4 };
        var dim = new Option<int>("--dim") { Description = "Model width.", DefaultValueFactory = _ => 256 };
        var headDim = new Option<int>("--head-dim") { Description = "Width of one attention head (must divide --dim).", DefaultValueFactory = _ => 64 };
        var seq = new Option<int>("--seq") { Description = "Context length in tokens.", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var variant = new Option<string>("--variant") { Description = "Dense, Factored, FactoredDiagonal or Cola.", DefaultValueFactory = _ => "Dense" };
        var attnRank = new Option<int?>("--attention-rank") { Description = "Rank of attention q, k, v, out (omit for dense)." };
        var mlpRank = new Option<int?>("--mlp-rank") { Description = "Rank of MLP fc and proj (omit for dense)." };
        var headRank = new Option<int?>("--head-rank") { Description = "Rank of lm_head (omit for dense)." };
        var init = new Option<FactorInit>("--init") { Description = "Factor init: Matched or Spectral.", DefaultValueFactory = _ => FactorInit.Matched };
        var optimizer = new Option<string>("--optimizer") { Description = "MuonAdamW or AdamW.", DefaultValueFactory = _ => "MuonAdamW" };
        var matrixLr = new Option<double>("--matrix-lr") { Description = "Muon learning rate of block matrices.", DefaultValueFactory = _ => 0.02 };
        var steps = new Option<int?>("--steps") { Description = "Budget in steps." };
        var seconds = new Option<double?>("--seconds") { Description = "Budget in training seconds (evaluation excluded)." };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate every N steps (0 = only at the end).", DefaultValueFactory = _ => 100 };
        var evalTokens = new Option<int>("--eval-tokens") { Description = "Validation tokens per evaluation (0 = all).", DefaultValueFactory = _ => 65_536 };
        var seed = new Option<int>("--seed") { Description = "Seed of init and data order.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: torch's)." };
        var historyCsv = new Option<FileInfo?>("--history-csv") { Description = "Write the per-step history here." };

        var command = new Command("train", "Train one model on the embedded Brown corpus (held-out 10 % of documents for validation), byte-level tokens.")
        {
            depth, dim, headDim, seq, batch, variant, attnRank, mlpRank, headRank, init, optimizer, matrixLr, steps, seconds,
            evalEvery, evalTokens, seed, threads, historyCsv,
        };
        command.SetAction((parse, ct) => Task.Run(() =>
        {
            var tokenizer = new ByteLevelTokenizer();
            var config = new GptConfig
            {
                VocabSize = tokenizer.VocabSize,
                Depth = parse.GetValue(depth),
                ModelDim = parse.GetValue(dim),
                HeadDim = parse.GetValue(headDim),
                SequenceLength = parse.GetValue(seq),
                Variant = LinearVariant.Parse(parse.GetValue(variant)!),
                AttentionRank = parse.GetValue(attnRank) is int ar ? ar : null,
                MlpRank = parse.GetValue(mlpRank) is int mr ? mr : null,
                HeadRank = parse.GetValue(headRank) is int hr ? hr : null,
                Init = parse.GetValue(init),
            };
            var options = new TrainingOptions
            {
                BatchSize = parse.GetValue(batch),
                MaxSteps = parse.GetValue(steps),
                MaxSeconds = parse.GetValue(seconds),
                Optimizer = Optimizers.Parse(parse.GetValue(optimizer)!),
                MatrixLearningRate = parse.GetValue(matrixLr),
                EvalEvery = parse.GetValue(evalEvery),
                EvalTokens = parse.GetValue(evalTokens),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
            };
            if (options.MaxSteps is null && options.MaxSeconds is null) options = options with { MaxSeconds = 60 };
            // Check every option before reading the corpus or building the model.
            var summary = ModelSummary.For(config);
            options.Validate();

            var (train, valid) = DocumentSplit.ByGroup(BrownCorpus.Load(), validationFraction: 0.1);
            var trainStream = new TokenStream(train.Select(d => (IReadOnlyList<int>)tokenizer.Encode(d.Text)), ByteLevelTokenizer.Bos);
            var validStream = new TokenStream(valid.Select(d => (IReadOnlyList<int>)tokenizer.Encode(d.Text)), ByteLevelTokenizer.Bos);
            Console.WriteLine($"Brown corpus: {train.Count} training documents ({trainStream.Tokens.Length:N0} tokens), {valid.Count} validation ({validStream.Tokens.Length:N0} tokens)");
            Console.WriteLine(summary);

            using var model = Gpt.Create(config, parse.GetValue(seed));
            var result = LmTrainer.Train(model, trainStream, validStream, tokenizer.BytesPerToken(), options, log: Console.WriteLine, cancellationToken: ct);

            if (parse.GetValue(historyCsv) is { } file) HistoryCsv.Write(file.FullName, result.History);
            var v = result.FinalValidation;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT status={result.Status} params={summary.TotalParameters} non_embedding={summary.NonEmbeddingParameters} steps={result.History.Count} tokens={result.Tokens} train_s={result.TrainSeconds:F1} eval_s={result.EvalSeconds:F1} tokens_per_s={result.TokensPerSecond:F0} val_nats_per_byte={v?.NatsPerByte:F4} val_bpb={v?.BitsPerByte:F4} peak_rss_mb={result.PeakResidentBytes / 1048576.0:F0} state_mb={result.StateBytes / 1048576.0:F1}"));
            return result.Status == TrainingStatus.Completed ? 0 : 3;
        }, ct));
        return command;
    }
}
