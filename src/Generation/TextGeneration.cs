// Continues a batch of prompts. Each row's context is a window of at most T tokens (the model's context length),
// starting as the last T tokens of BOS + prompt; when a new token would overflow it, the window restarts from its last
// T/2 tokens. With the cache, a row's keys and values are computed once (a prefill when its window starts, then one
// decode per token); without it, the whole window is run again for every token. The window rule is the same for
// both, so both give the same tokens (up to floating-point rounding in the last bits of a logit), and a prompt gets the
// same text alone or in a batch.
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.LowRank.Generation;

internal static class TextGeneration
{
    /// <summary>Each prompt draws from its own generator, seeded by the seed and the prompt: a prompt gets the same
    /// text alone or anywhere in a batch, and different prompts do not share random draws (with one shared stream, a
    /// weak model's samples for different prompts fall into step).</summary>
    static ulong SamplerSeed(int seed, string prompt) => Common.StableHash.Fnv1a(prompt, (ulong)(uint)seed);

    sealed class Row(int index, string prompt, List<int> window, StreamedText text, ulong seed) : IDisposable
    {
        public int Index => index;
        public string Prompt => prompt;
        public List<int> Window => window;
        public StreamedText Text => text;
        public torch.Generator Sampler { get; } = new(seed);
        public FinishReason? Finished { get; set; }
        /// <summary>The last token overflowed the window, which restarted from its last T/2 tokens.</summary>
        public bool Restarted { get; set; }
        public void Dispose() => Sampler.Dispose();
    }

    /// <summary>Generates for every prompt; <paramref name="onText"/> receives (prompt index, text that became final)
    /// as it does. Checks <paramref name="cancellation"/> before every token.</summary>
    public static GeneratedText[] Run(Gpt model, LmTokenizer tokenizer, IReadOnlyList<string> prompts,
        GenerationOptions options,
        Action<int, string>? onText = null, CancellationToken cancellation = default)
    {
        options.Validate();
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Any(p => p is null))
            throw new ArgumentNullException(nameof(prompts), "A prompt is null; pass \"\" to generate from the start " +
                "of a document.");
        int t = model.Config.SequenceLength;
        var rows = prompts.Select((p, i) =>
        {
            var ids = new List<int> { tokenizer.BosId };
            ids.AddRange(tokenizer.Encode(p));
            return new Row(i, p, ids.Skip(Math.Max(0, ids.Count - t)).ToList(),
                new StreamedText(tokenizer, options.StopSequences), SamplerSeed(options.Seed, p));
        }).ToList();
        try
        {
            if (rows.Count > 0 && options.MaxNewTokens > 0)
            {
                using var noGrad = torch.no_grad();
                if (options.UseCache) RunCached(model, rows, options, tokenizer.BosId, onText, cancellation);
                else RunUncached(model, rows, options, tokenizer.BosId, onText, cancellation);
            }
            return rows.Select(r => new GeneratedText(r.Prompt, r.Text.Text, r.Text.Ids.ToArray(),
                r.Finished ?? FinishReason.Length)).ToArray();
        }
        finally
        {
            foreach (var r in rows) r.Dispose();
        }
    }

    static void RunUncached(Gpt model, List<Row> rows, GenerationOptions options, int bos, Action<int, string>? onText,
        CancellationToken cancellation)
    {
        while (rows.Any(r => r.Finished is null))
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var row in rows.Where(r => r.Finished is null))
            {
                using var scope = torch.NewDisposeScope();
                var context = torch.tensor(row.Window.Select(i => (long)i).ToArray(), 1, row.Window.Count,
                    device: model.Device);
                Accept(row, model.forward(context)[0, -1], options, bos, model.Config.SequenceLength, onText);
            }
        }
    }

    static void RunCached(Gpt model, List<Row> rows, GenerationOptions options, int bos, Action<int, string>? onText,
        CancellationToken cancellation)
    {
        int t = model.Config.SequenceLength;
        using var cache = new KeyValueCache(model, rows.Count);
        var restart = rows.ToList(); // rows whose window (re)starts: run whole, filling their cache columns 0 … n − 1
        var next = new List<Row>();  // rows whose cache holds all of the window but its newest token
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var logits = new Dictionary<Row, Tensor>();
            if (restart.Count > 0)
            {
                var output = Prefill(model, cache, restart);
                for (int i = 0; i < restart.Count; i++) logits[restart[i]] = output[i];
            }
            if (next.Count > 0)
            {
                // Every cache row takes part in a decode; rows with nothing to decode write a throw-away token at a
                // column they will overwrite (or never read again) and their output is ignored.
                var tokens = new long[rows.Count];
                var positions = new long[rows.Count];
                foreach (var row in rows)
                {
                    tokens[row.Index] = bos;
                    positions[row.Index] = Math.Min(row.Window.Count, t - 1);
                }
                foreach (var row in next)
                {
                    tokens[row.Index] = row.Window[^1];
                    positions[row.Index] = row.Window.Count - 1;
                }
                var output = model.Decode(torch.tensor(tokens, rows.Count, 1, device: model.Device), positions, cache);
                foreach (var row in next) logits[row] = output[row.Index];
            }
            restart.Clear();
            next.Clear();
            foreach (var (row, rowLogits) in logits.OrderBy(p => p.Key.Index))
            {
                if (!Accept(row, rowLogits, options, bos, t, onText)) continue;
                // A window that just restarted has nothing cached; otherwise only its newest token is new.
                (row.Restarted ? restart : next).Add(row);
            }
            if (restart.Count == 0 && next.Count == 0) return;
        }
    }

    /// <summary>Runs the rows' whole windows, right-padded to the longest, into their cache rows; returns the logits at
    /// each row's newest token (R, vocab).</summary>
    static Tensor Prefill(Gpt model, KeyValueCache cache, List<Row> rows)
    {
        int length = rows.Max(r => r.Window.Count);
        var tokens = new long[rows.Count * length];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < rows[i].Window.Count; j++) tokens[i * length + j] = rows[i].Window[j];
        var last = torch.tensor(rows.Select(r => (long)r.Window.Count - 1).ToArray(), device: model.Device);
        return model.Prefill(torch.tensor(tokens, rows.Count, length, device: model.Device),
            rows.Select(r => (long)r.Index).ToArray(), last, cache);
    }

    /// <summary>Samples the row's next token from <paramref name="logits"/>, appends it (restarting the window when it
    /// overflows), reports final text, and returns whether the row goes on.</summary>
    static bool Accept(Row row, Tensor logits, GenerationOptions options, int bos, int t, Action<int, string>? onText)
    {
        int token = TokenSampler.Next(logits.to(ScalarType.Float32).cpu(), options, row.Sampler);
        if (token == bos && options.StopAtEndOfDocument) row.Finished = FinishReason.EndOfDocument;
        else
        {
            if (row.Text.Add(token)) row.Finished = FinishReason.StopSequence;
            else if (row.Text.Ids.Count >= options.MaxNewTokens) row.Finished = FinishReason.Length;
            row.Window.Add(token);
            row.Restarted = row.Window.Count > t;
            if (row.Restarted) row.Window.RemoveRange(0, row.Window.Count - Math.Max(1, t / 2));
        }
        if (onText is not null)
        {
            string piece = row.Text.TakeFinal(row.Finished is not null);
            if (piece.Length > 0) onText(row.Index, piece);
        }
        return row.Finished is null;
    }
}
