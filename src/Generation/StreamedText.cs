// The text of one row as tokens arrive: decodes the generated ids, finds stop sequences, and says which part of the
// text is final — not the tail of a character still missing bytes (byte-level tokens split UTF-8), and not a tail that
// could still grow into a stop sequence — so a stream never takes back what it emitted.
using MLNet.LowRank.Data.Tokenizers;

namespace MLNet.LowRank.Generation;

internal sealed class StreamedText(LmTokenizer tokenizer, IReadOnlyList<string> stops)
{
    readonly List<int> ids = [];
    int emitted;

    /// <summary>The generated ids so far.</summary>
    public IReadOnlyList<int> Ids => ids;

    /// <summary>The text so far (cut before a stop sequence once one is found).</summary>
    public string Text { get; private set; } = "";

    /// <summary>A stop sequence has been produced.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a token; returns true when the text now contains a stop sequence.</summary>
    public bool Add(int id)
    {
        ids.Add(id);
        Text = tokenizer.Decode(ids);
        int cut = stops.Select(s => Text.IndexOf(s,
            StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut < 0) return false;
        Text = Text[..cut];
        return Stopped = true;
    }

    /// <summary>Text that became final since the last call; with <paramref name="finished"/> everything left.</summary>
    public string TakeFinal(bool finished)
    {
        int end = Text.Length;
        if (!finished)
        {
            while (end > emitted && Text[end - 1] == '\uFFFD') end--; // an incomplete UTF-8 character decodes to U+FFFD
            foreach (string stop in stops)
                for (int k = Math.Min(stop.Length - 1, end - emitted); k > 0; k--)
                    if (string.CompareOrdinal(Text, end - k, stop, 0, k) == 0) { end -= k; break; }
        }
        if (end <= emitted) return "";
        string piece = Text[emitted..end];
        emitted = end;
        return piece;
    }
}
