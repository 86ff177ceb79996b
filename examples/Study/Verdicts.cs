// The three hypotheses, judged by stated rules from the records (so a re-run with other numbers re-judges itself):
// a difference counts only when it is larger than the seed-to-seed spread measured in the seeds section.
using System.Globalization;
using MLNet.LowRank.Experiments;

namespace MLNet.LowRank.Examples.Study;

public sealed class Verdicts(IReadOnlyList<SectionResult> sections, TrialResult baseline, StudyPlan plan,
    IReadOnlyList<(TrialResult Trial, MemoryProbeResult Probe)>? memory = null)
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    IReadOnlyList<TrialResult> Section(string name) => sections.FirstOrDefault(s => s.Section.Name == name)?.Trials.Where(ResultsDocument.Done).ToList() ?? [];

    double BaselinePerplexity => baseline.Perplexity!.Value;

    /// <summary>Largest relative perplexity spread (max/min − 1) over seeds of one arm; 0 without a seeds section.</summary>
    public double Noise => Section("seeds")
        .GroupBy(t => TrialKey.Of(t.Parameters.Where(p => p.Key != "Seed").ToDictionary(p => p.Key, p => p.Value)))
        .Where(g => g.Count() > 1)
        .Select(g => g.Max(t => t.Perplexity!.Value) / g.Min(t => t.Perplexity!.Value) - 1)
        .DefaultIfEmpty(0).Max();

    public string NoiseLine()
    {
        var arms = Section("seeds").GroupBy(t => ResultsDocument.Label(t with { Parameters = t.Parameters.Where(p => p.Key != "Seed").ToDictionary(p => p.Key, p => p.Value) }))
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => t.Perplexity!.Value.ToString("F2", Ci)))}");
        return Noise > 0
            ? $"three seeds gave perplexities {string.Join("; ", arms)} — a spread of up to {Noise:P1}."
            : "no seed repeats finished, so no noise band could be measured.";
    }

    /// <summary>Throughput noise: among trials trained here with the same shapes (variant, ranks, depth, width; the
    /// learning rate, seed, init and optimizer set aside), the largest max/min − 1 of tokens/s.</summary>
    public string ThroughputLine()
    {
        var groups = sections.SelectMany(s => s.Trials).Where(t => ResultsDocument.Done(t) && t.CopiedFrom is null && t.Configuration["Optimizer"] == "MuonAdamW")
            .GroupBy(t => string.Join(";", new[] { "Variant", "AttentionRank", "MlpRank", "Depth", "ModelDim" }.Select(k => t.Configuration[k])))
            .Where(g => g.Count() > 1)
            .Select(g => (Shape: ResultsDocument.Label(g.First() with { Parameters = g.First().Configuration.Where(p => p.Key is "Variant" or "AttentionRank" or "MlpRank").ToDictionary(p => p.Key, p => p.Value) }),
                Min: g.Min(t => t.TokensPerSecond), Max: g.Max(t => t.TokensPerSecond), Count: g.Count()))
            .OrderByDescending(g => g.Max / g.Min).ToList();
        if (groups.Count == 0) return "";
        var worst = groups[0];
        return $"Identical shapes did not run at identical speed: {worst.Count} trials of {worst.Shape} (Muon) ran at {worst.Min:N0}–{worst.Max:N0} tokens/s ({worst.Max / worst.Min - 1:P0} apart) on this shared 2-core machine, so time-to-threshold and tokens/s differences smaller than that are not evidence.";
    }

    /// <summary>Fully factored models (every block matrix low-rank) with at most 3/4 of the baseline's non-embedding
    /// parameters, trained here (not copies), seed 1; lowest perplexity first.</summary>
    public IEnumerable<TrialResult> BestLowRank(int count) => sections.SelectMany(s => s.Trials)
        .Where(t => ResultsDocument.Done(t) && t.CopiedFrom is null && t.Configuration["Seed"] == "1" && t.Configuration["Variant"] != "Dense"
            && t.Configuration["AttentionRank"] != "dense" && t.Configuration["MlpRank"] != "dense"
            && t.NonEmbeddingParameters <= 0.75 * baseline.NonEmbeddingParameters)
        .OrderBy(t => t.Perplexity).Take(count);

    double Delta(TrialResult t) => t.Perplexity!.Value / BaselinePerplexity - 1;

    string Judge(double delta) => delta < -Noise ? "better" : delta > Noise ? "worse" : "the same within noise";

    public IEnumerable<string> Lines()
    {
        string band = $"(noise band ±{Noise:P1})";
        yield return $"Baseline: the dense model at its best learning rate, perplexity {BaselinePerplexity:F2}, {baseline.NonEmbeddingParameters:N0} non-embedding parameters, {Seconds(baseline)} to perplexity {plan.Baseline.ThresholdPerplexity}. Rules: a perplexity difference counts only outside the seed noise band {band}; \"small cost\" means at most 5 % or within noise.";

        var best = BestLowRank(1).FirstOrDefault();
        if (best is null) yield return "**(a) — no verdict:** no fully low-rank trial completed.";
        else
        {
            double d = Delta(best);
            bool smallCost = d <= Math.Max(0.05, Noise);
            bool faster = best.SecondsToThreshold is double b && (baseline.SecondsToThreshold is not double a || b < a);
            var probe = memory?.FirstOrDefault(m => m.Trial.Id == best.Id && m.Trial.Index == best.Index).Probe;
            var baseProbe = memory?.FirstOrDefault(m => m.Trial.Id == baseline.Id && m.Trial.Index == baseline.Index).Probe;
            bool lighter = best.StateBytes < baseline.StateBytes && (probe is null || baseProbe is null || probe.PeakResident < baseProbe.PeakResident);
            string verdict = smallCost && faster && lighter ? "supported" : smallCost || faster || lighter ? "partly supported" : "not supported";
            yield return $"**(a) Low-rank weights reduce memory and training time with a small perplexity cost — {verdict}.** The best fully low-rank trial ({ResultsDocument.Label(best)}, {best.NonEmbeddingParameters:N0} non-embedding parameters, {(double)best.NonEmbeddingParameters / baseline.NonEmbeddingParameters:P0} of the baseline's) reached perplexity {best.Perplexity:F2} ({d:+0.0%;-0.0%} vs dense: {Judge(d)}) on the same tokens; time to perplexity {plan.Baseline.ThresholdPerplexity}: {Seconds(best)} vs {Seconds(baseline)}; {best.TokensPerSecond:N0} vs {baseline.TokensPerSecond:N0} tokens/s; optimizer-side state {best.StateBytes / 1048576.0:F0} MB vs {baseline.StateBytes / 1048576.0:F0} MB; {(probe is null || baseProbe is null ? "no fresh-process memory measurement" : $"peak RSS in a fresh process {probe.PeakResident / 1048576.0:N0} MB vs {baseProbe.PeakResident / 1048576.0:N0} MB (RSS includes activations, the corpus and the runtime, which rank does not shrink)")}.";
        }

        var groups = new[] { ("attention", "rank-attention"), ("MLP", "rank-mlp"), ("attention and MLP together", "rank-both") }
            .Select(g => (Name: g.Item1, Trials: Section(g.Item2).Where(t => t.Configuration["Variant"] != "Dense").ToList())).ToList();
        if (groups.Take(2).Any(g => g.Trials.Count == 0)) yield return "**(b) — no verdict:** a rank scan did not complete.";
        else
        {
            var parts = groups.Where(g => g.Trials.Count > 0).Select(g =>
            {
                var top = g.Trials.MinBy(t => t.Perplexity)!;
                var worst = g.Trials.MaxBy(t => t.Perplexity)!;
                return (g.Name, Helps: Delta(top) < -Noise, Hurts: Delta(top) > Noise,
                    Text: $"{g.Name}: best at {Ranks(top)} ({Delta(top):+0.0%;-0.0%}, {Judge(Delta(top))}, {(double)top.NonEmbeddingParameters / baseline.NonEmbeddingParameters:P0} of the parameters), worst at {Ranks(worst)} ({Delta(worst):+0.0%;-0.0%})");
            }).ToList();
            int helping = parts.Take(2).Count(p => p.Helps);
            bool hurting = parts.Take(2).Any(p => p.Hurts);
            string verdict = helping == 2 ? "supported" : helping == 1 || !hurting ? "partly supported" : "not supported";
            yield return $"**(b) Factorizing attention and MLP both help rather than hurt — {verdict}.** At equal tokens, against dense: {string.Join("; ", parts.Select(p => p.Text))}.";
        }

        var deeper = Section("depth").Where(t => int.Parse(t.Configuration["Depth"], Ci) > int.Parse(baseline.Configuration["Depth"], Ci)).ToList();
        if (deeper.Count == 0) yield return "**(c) — no verdict:** no deeper low-rank trial completed.";
        else
        {
            var top = deeper.MinBy(t => t.Perplexity)!;
            double d = Delta(top);
            string verdict = d < -Noise ? "supported" : d > Noise ? "not supported" : "inconclusive (within noise)";
            yield return $"**(c) A deeper low-rank model at equal parameters beats the baseline — {verdict}.** {string.Join("; ", deeper.Select(t => $"depth {t.Configuration["Depth"]} at {Ranks(t)}: {t.NonEmbeddingParameters:N0} non-embedding parameters, perplexity {t.Perplexity:F2} ({Delta(t):+0.0%;-0.0%}), {Seconds(t)} to perplexity {plan.Baseline.ThresholdPerplexity}, {t.TokensPerSecond:N0} tokens/s"))}; dense depth {baseline.Configuration["Depth"]}: {BaselinePerplexity:F2}, {Seconds(baseline)}, {baseline.TokensPerSecond:N0} tokens/s.";
        }
    }

    static string Ranks(TrialResult t) => $"attention {t.Configuration["AttentionRank"]} / MLP {t.Configuration["MlpRank"]}";

    static string Seconds(TrialResult t) => t.SecondsToThreshold is double s ? $"{s:F0} s" : "not reached";
}
