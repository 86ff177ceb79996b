// "Did you mean": the closest known name to a misspelt one, for every message that refuses an unknown name (options,
// sweep-config keys, variants).
namespace MLNet.LowRank.Common;

/// <summary>"Did you mean" for misspelt names.</summary>
public static class Suggest
{
    /// <summary>" (did you mean 'X'?)" for the closest candidate within a few edits, else "".</summary>
    public static string Closest(string name, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c,
            d: Distance(name.ToLowerInvariant(), c.ToLowerInvariant()))).OrderBy(x => x.d).FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, name.Length / 3) ? $" (did you mean '{best.c}'?)" : "";
    }

    static int Distance(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
