// The Pareto frontier of two costs to minimise (say non-embedding parameters and perplexity): the points no other point
// beats on both.
namespace MLNet.LowRank.Experiments;

/// <summary>Pareto-optimal subsets.</summary>
public static class Pareto
{
    /// <summary>Items not dominated on (<paramref name="x"/>, <paramref name="y"/>), both minimised, sorted by x. An
    /// item is dominated when another is no worse on both and better on one; exact duplicates are all kept.</summary>
    public static IReadOnlyList<T> Frontier<T>(IEnumerable<T> items, Func<T, double> x, Func<T, double> y)
    {
        var points = items.Select(i => (Item: i, X: x(i),
            Y: y(i))).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        return points
            .Where(p => !points.Any(q => q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y)))
            .OrderBy(p => p.X).ThenBy(p => p.Y)
            .Select(p => p.Item).ToList();
    }
}
