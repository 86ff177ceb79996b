// Writes a run's per-step history as CSV (invariant culture, empty cells where a step did not evaluate).
using System.Globalization;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Cli;

static class HistoryCsv
{
    public static void Write(string path, IEnumerable<StepRecord> history)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("step,tokens,train_seconds,eval_seconds,train_loss,val_loss,val_perplexity,val_bits_per_byte,lr_factor,tokens_per_second,gradient_norm");
        foreach (var h in history)
            w.WriteLine(string.Join(',',
                new object?[] { h.Step, h.Tokens, h.TrainSeconds, h.EvalSeconds, h.TrainLoss, h.ValidationLoss,
                h.ValidationPerplexity, h.ValidationBitsPerByte, h.LrFactor, h.TokensPerSecond, h.GradientNorm }
                .Select(x => x is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : "")));
    }
}
