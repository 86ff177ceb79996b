// docs/study/v4/plan.md in code: version 4's arms (dense and the deep low-rank arm at the dense arm's parameters, and
// the depth ladder at those parameters: depth 4, 8 and 16), budgets (1, 4 and 16 × the dense arm's compute-optimal
// tokens), seeds, learning-rate grids and the equivalence margin. The model family, batch, context and schedules are
// version 2's (StudyDesign), on the Gutenberg corpus instead of Brown.
using System.Globalization;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Examples.Study;

public sealed class V4Design
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public V4Design(StudyDesign v2)
    {
        V2 = v2;
        Smoke = v2.Smoke;
        int Scale(int r) => Smoke ? Math.Max(1, r / 2) : r;
        Dense = v2.Dense;
        Deep = v2.Deep;   // Factored, ranks 16 / 26, depth 8: version 2's and 3's `deep`
        LowRankIso = new("lowrank-iso", StudyDesign.Params("Factored", Scale(32), Scale(51), 4),
            $"Factored, attention rank {Scale(32)}, MLP rank {Scale(51)}, depth 4");
        Deep16 = new("deep-16", StudyDesign.Params("Factored", Scale(8), Scale(13), 16),
            $"Factored, attention rank {Scale(8)}, MLP rank {Scale(13)}, depth 16");
        long perStep = (long)v2.BatchSize * v2.SequenceLength;
        int Steps(double multiple) => Smoke ? (int)(4 * multiple)
            : (int)Math.Round(multiple * v2.ComputeOptimalTokens / (double)perStep);
        One = new("1", 1, Steps(1));
        Four = new("4", 4, Steps(4));
        Sixteen = new("16", 16, Steps(16));
    }

    public StudyDesign V2 { get; }
    public bool Smoke { get; }

    /// <summary>Every matrix dense, depth 4: the baseline.</summary>
    public Arm Dense { get; }
    /// <summary>Factored at ranks 16 / 26, depth 8: the dense arm's parameters (+0.9 % total).</summary>
    public Arm Deep { get; }
    /// <summary>Factored at ranks 32 / 51, depth 4: the dense arm's parameters at its depth (−0.2 % total).</summary>
    public Arm LowRankIso { get; }
    /// <summary>Factored at ranks 8 / 13, depth 16: the dense arm's parameters (+0.9 % total).</summary>
    public Arm Deep16 { get; }
    /// <summary>The two arms of the depth question, at every budget.</summary>
    public IReadOnlyList<Arm> Core => [Dense, Deep];
    /// <summary>The depth ladder's other rungs (depth 4 and 16 at the dense arm's parameters), at 4 × only.</summary>
    public IReadOnlyList<Arm> Ladder => [LowRankIso, Deep16];
    public IReadOnlyList<Arm> All => [Dense, Deep, LowRankIso, Deep16];

    public Budget One { get; }
    public Budget Four { get; }
    public Budget Sixteen { get; }
    public IReadOnlyList<Budget> Budgets => [One, Four, Sixteen];

    /// <summary>Reported seeds: 5 for the core arms, 3 for the ladder (2 and 2 in a smoke run).</summary>
    public IReadOnlyList<int> Seeds(Arm arm) => [.. Enumerable.Range(1, Smoke ? 2 : Core.Contains(arm) ? 5 : 3)];

    public IReadOnlyList<double> MuonGrid => V2.MuonGrid;
    /// <summary>Points added beyond an edge of the 1 × grid at most (until the best is interior).</summary>
    public int MaxGridExtensions => Smoke ? 1 : 4;

    /// <summary>The equivalence margin δ on a paired gap in nats per byte: "matches" needs the 90 % interval inside
    /// ±δ.</summary>
    public const double Margin = 0.01;

    /// <summary>The plan's estimate of the error of an equal-FLOP point read on a quadratic between separately
    /// warmed-down runs, in nats per byte: an equal-FLOP gap whose reading changes when moved by this much is
    /// borderline.</summary>
    public const double InterpolationError = 0.003;

    /// <summary>Held-out books: a stable hash of the book's id puts this share in validation.</summary>
    public const double ValidationFraction = 0.05;
    /// <summary>Each held-out book is cut to its first this many characters, so the final evaluation costs the same
    /// bounded time for every run (about 1.4 MB in all).</summary>
    public const int ValidationCharacters = 65_536;

    public GptConfig Config(Arm arm) => V2.Config(arm);

    /// <summary>Training FLOPs per token of an arm (model-spec §3).</summary>
    public double FlopsPerToken(Arm arm) => ModelSummary.For(Config(arm)).FlopsPerToken;

    public long Tokens(Budget b) => (long)b.Steps * V2.BatchSize * V2.SequenceLength;

    public static string Rate(double lr) => lr.ToString("R", Ci);
}
