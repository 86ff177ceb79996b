// The CLI's view of a long run: on a terminal, a live progress bar (step, loss, tokens/s, time left) with the log lines
// printed above it; when the output is redirected (a file, CI, a batch job), plain lines, one per report, in order.
using Spectre.Console;
using MLNet.LowRank.Training;

namespace MLNet.LowRank.Cli;

static class LiveProgress
{
    /// <summary>True when stdout is an interactive terminal that can redraw a bar.</summary>
    public static bool IsLive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with a progress bar fed by the <see cref="IProgress{T}"/> it is given and
    /// a line printer for messages; without a terminal, the reports become lines.</summary>
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, Action<string>, T> work)
    {
        if (!IsLive)
            return work(new SynchronousProgress<TrainingProgress>(_ => { }), line => Console.WriteLine(line));
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
            new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1.0);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Value = p.Fraction;
                    task.Description = Markup.Escape($"{title}: step {p.Step:N0}, loss {p.TrainLoss:F3}" +
                        (p.ValidationLoss is double v ? $", val {v:F3}" : "") + $", {p.TokensPerSecond:N0} tok/s");
                });
                var result = work(progress, line => AnsiConsole.MarkupLine(Markup.Escape(line)));
                task.Value = task.MaxValue;
                return result;
            });
    }
}
