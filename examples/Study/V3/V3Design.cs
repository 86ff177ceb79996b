// docs/study/v3/plan.md in code: version 3's arms (the core ladder, the controls, the width ladder, the rank
// schedules), its budgets (multiples of each width's compute-optimal tokens), seeds and grids. Everything version 2
// fixed (corpus, context, batch, schedules, evaluation) comes from StudyDesign, so reused and new trials share one
// baseline.
using System.Globalization;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

/// <summary>A training budget: its name on the page, its multiple of the width's compute-optimal tokens, and its
/// steps.</summary>
public sealed record Budget(string Name, double Multiple, int Steps);

/// <summary>One rank schedule arm: its name and the attention and MLP schedules it sets.</summary>
public sealed record ScheduleArm(Arm Arm, string Attention, string Mlp);

public sealed class V3Design
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public V3Design(StudyDesign v2)
    {
        V2 = v2;
        Smoke = v2.Smoke;
        int w = v2.Width;
        Dense = v2.Dense;
        LowRank = v2.LowRank;
        Deep = v2.Deep;
        // Version 2's rank-32 arm and its full-rank control are these arms: same parameters, so their records are
        // shared.
        LowRankIso = Iso(w, "lowrank-iso");
        FullRankFactored = v2.Controls.FirstOrDefault(a => a.Name == "full-rank-factored")
            ?? new("full-rank-factored", StudyDesign.Params("Factored", w, w, 4), $"Factored at rank {w} = width");
        var small = StudyDesign.Params("Dense", "dense", "dense", 4);
        small["MlpRatio"] = "1";
        DenseSmall = new("dense-small", small, $"dense, MLP ratio 1 (MLP width {w}): a dense model of lowrank's size");

        // Budgets of the core ladder: version 2's 1/4, 1 and 2 × (the same steps, so its records are reusable) and 4 ×.
        var steps = v2.BudgetSteps;
        Quarter = new("1/4", 0.25, steps[StudyDesign.Middle]);
        One = new("1", 1, steps[2]);
        Two = new("2", 2, steps[3]);
        Four = new("4", 4, Smoke ? 10 : StepsFor(4, v2.ComputeOptimalTokens));

        Widths = Smoke ? [16, 32, 48] : [32, 64, 96];   // a smoke run: the core width (32) and two others
        // The same shape on attention and MLP ranks, each schedule's parameters chosen so its block parameters match
        // constant rank's (±2 %); a smoke run halves them with the smoke model's ranks.
        double k = int.Parse(LowRank.Parameters[OptionNames.AttentionRank], Ci) / 16.0;
        string s(double x) => (k * x).ToString("R", Ci);
        Schedules =
        [
            Schedule("linear-up", $"Linear:{s(8)}:{s(24)}", $"Linear:{s(13)}:{s(39)}"),
            Schedule("linear-down", $"Linear:{s(24)}:{s(8)}", $"Linear:{s(39)}:{s(13)}"),
            Schedule("step", $"Step:{s(8)}:{s(24)}:0.5", $"Step:{s(13)}:{s(39)}:0.5"),
            Schedule("exponential", $"Exponential:{s(7)}:{s(28)}", $"Exponential:{s(11.5)}:{s(46)}"),
            Schedule("negative-quadratic", $"NegativeQuadratic:{s(8)}:{s(26)}", $"NegativeQuadratic:{s(13)}:{s(42.25)}"),
        ];
        if (Smoke) Schedules = Schedules.Take(2).ToList();   // every code path at a fraction of the trials
    }

    ScheduleArm Schedule(string name, string attention, string mlp)
    {
        var p = TrialBatch.With(LowRank.Parameters, (OptionNames.AttentionRank, attention), (OptionNames.MlpRank, mlp));
        return new(new($"schedule-{name}", p, $"attention {attention}, MLP {mlp}"), attention, mlp);
    }

    public StudyDesign V2 { get; }
    public bool Smoke { get; }

    public Arm Dense { get; }
    public Arm LowRank { get; }
    public Arm Deep { get; }
    public Arm LowRankIso { get; }
    public Arm FullRankFactored { get; }
    public Arm DenseSmall { get; }
    public IReadOnlyList<Arm> Core => [Dense, LowRank, Deep];
    /// <summary>The arms new in version 3 at 1 and 2 ×.</summary>
    public IReadOnlyList<Arm> NewArms => [LowRankIso, FullRankFactored, DenseSmall];

    public Budget Quarter { get; }
    public Budget One { get; }
    public Budget Two { get; }
    public Budget Four { get; }
    public IReadOnlyList<Budget> CoreBudgets => [Quarter, One, Two, Four];
    /// <summary>Version 2's index of a budget it also ran (1/4 → 1, 1 → 2, 2 → 3), or null for 4 ×.</summary>
    public int? V2Index(Budget b) => b == Quarter ? StudyDesign.Middle : b == One ? 2 : b == Two ? 3 : null;

    /// <summary>The widths of the width ladder; the middle one is the core ladder's.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>The dense and iso-parameter low-rank arms at a width (attention rank w/2, MLP round(0.8 w), depth 4);
    /// at the core width they are <see cref="Dense"/> and <see cref="LowRankIso"/>.</summary>
    public (Arm Dense, Arm Iso) WidthArms(int width)
    {
        if (width == V2.Width) return (Dense, LowRankIso);
        var dense = StudyDesign.Params("Dense", "dense", "dense", 4);
        dense[OptionNames.ModelDim] = width.ToString(Ci);
        return (new($"w{width}-dense", dense, $"dense at width {width}"), Iso(width, $"w{width}-iso"));
    }

    Arm Iso(int width, string name)
    {
        int attention = width / 2, mlp = (int)Math.Round(0.8 * width, MidpointRounding.AwayFromZero);
        var p = StudyDesign.Params("Factored", attention, mlp, 4);
        if (width != V2.Width)
            p[OptionNames.ModelDim] = width
                .ToString(Ci);   // at the core width: version 2's rank-32 arm, same parameters
        return new(name,
            p, $"Factored at width {width}, attention rank {attention}, MLP rank {mlp}: the dense arm's block " +
            $"parameters");
    }

    /// <summary>A width's budget: <paramref name="multiple"/> × 20 × its dense arm's parameters.</summary>
    public Budget WidthBudget(int width, double multiple)
    {
        if (width == V2.Width) return multiple == 0.25 ? Quarter : multiple == 1 ? One : multiple == 2 ? Two : Four;
        string name = multiple == 0.25 ? "1/4" : multiple.ToString(Ci);
        if (Smoke) return new(name, multiple, multiple == 0.25 ? 2 : (int)(4 * multiple));
        long optimal = 20 * ModelSummary.For(Config(WidthArms(width).Dense)).TotalParameters;
        return new(name, multiple, StepsFor(multiple, optimal));
    }

    int StepsFor(double multiple, long computeOptimal) =>
        (int)Math.Round(multiple * computeOptimal / ((double)V2.BatchSize * V2.SequenceLength));

    public IReadOnlyList<ScheduleArm> Schedules { get; }

    public IReadOnlyList<int> Seeds(int count) => [.. Enumerable.Range(1, Smoke ? Math.Min(count, 2) : count)];
    /// <summary>5 seeds at 4 × and for the schedules; 3 for the new arms and the width ladder.</summary>
    public const int ManySeeds = 5, FewSeeds = 3;

    /// <summary>The rates around a choice that re-tuning starts from (×½, ×1, ×2).</summary>
    public static IReadOnlyList<double> Around(double rate) => [rate / 2, rate, rate * 2];
    public static readonly double[] EmbeddingGrid = [0.2, 0.4, 0.8];
    public static readonly double[] HeadGrid = [0.004, 0.008, 0.016];

    public GptConfig Config(Arm arm) => V2.Config(arm);
}
