// Runs one section of the study as an experiment in its own run directory, reusing any trial another section already
// finished, and writes that directory's `lowrank report` (report.md and figures).
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Experiments;
using MLNet.LowRank.Reporting;

namespace MLNet.LowRank.Examples.Study;

/// <summary>A planned section: its run directory name, heading, and trials.</summary>
public sealed record Section(string Name, string Title, string Question, IReadOnlyList<IReadOnlyDictionary<string, string>> Trials, string? Note = null);

/// <summary>A finished section: the plan and every trial record of its run directory.</summary>
public sealed record SectionResult(Section Section, string Directory, IReadOnlyList<TrialResult> Trials);

public sealed class SectionRunner(MLContext ml, IDataView train, IDataView validation, StudyPlan plan, string runDirectory)
{
    readonly List<string> finished = [];

    public async Task<SectionResult> Run(Section section, CancellationToken ct)
    {
        string directory = Path.Combine(runDirectory, section.Name);
        Console.WriteLine($"{DateTime.Now:HH:mm:ss} == {section.Title}: {section.Trials.Count} trials in {directory}");
        var results = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bpe(StudyPlan.VocabSize), plan.Baseline)
            .SetDataset(train, validation)
            .SetTrials(section.Trials)
            .SetTrialBudget(tokens: plan.TokensPerTrial)
            .SetResultDirectory(directory)
            .SetReuse([.. finished])
            .SetMonitor(new ConsoleProgress())
            .RunAsync(ct);
        ReportWriter.Write(directory);
        finished.Add(directory);
        return new SectionResult(section, directory, results);
    }

    /// <summary>Prints each trial's start and end in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    sealed class ConsoleProgress : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {value}");
    }
}
