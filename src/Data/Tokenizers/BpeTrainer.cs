// Trains a byte-level BPE vocabulary (no .NET library does): split text as GPT-2 does, count the pieces, then merge the
// most frequent adjacent pair again and again. Deterministic: ties go to the smallest (left id, right id) pair.
// A lazy max-heap of pair counts and an index from pair to the words holding it keep each merge local.
using System.Text;
using System.Text.RegularExpressions;

namespace MLNet.LowRank.Data.Tokenizers;

/// <summary>Learns a byte-level BPE from texts.</summary>
public static class BpeTrainer
{
    /// <summary>Trains a vocabulary of exactly <paramref name="vocabSize"/> ids: 256 bytes, vocabSize − 257 merges,
    /// BOS.</summary>
    /// <exception cref="ArgumentException">The texts are empty, or too small to learn that many merges.</exception>
    public static TiktokenLmTokenizer Train(IEnumerable<string> texts, int vocabSize)
    {
        int merges = vocabSize - 257;
        if (merges < 1)
            throw new ArgumentOutOfRangeException(nameof(vocabSize),
                vocabSize, $"vocabSize must be at least 258; got {vocabSize}.");

        var (words, counts) = CountPieces(texts);
        if (words.Count == 0)
            throw new ArgumentException("Cannot train a BPE tokenizer: the training texts are empty or whitespace " +
                "only. Provide text.", nameof(texts));

        var tokens = new List<byte[]>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);

        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Count; w++) AddPairs(words[w], counts[w], w, pairCounts, where);

        // Max-heap by count, then smallest pair key: PriorityQueue pops the smallest priority.
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        foreach (var (pair, c) in pairCounts) heap.Enqueue(pair, (-c, pair));

        // Two merge paths can spell the same bytes ((ab)c and a(bc)): such a merge reuses the existing id, so the
        // vocabulary stays unique and the loop runs until it holds exactly vocabSize − 1 tokens.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) ids[Encoding.Latin1.GetString(tokens[b])] = b;
        while (tokens.Count < vocabSize - 1)
        {
            long best = -1;
            while (heap.TryDequeue(out long pair, out var priority))
            {
                // Entries go stale when counts change; only one matching the current count is real.
                if (pairCounts.TryGetValue(pair,
                    out long current) && current == -priority.NegCount && current > 0) { best = pair; break; }
            }
            if (best < 0)
                throw new ArgumentException($"The training texts only allow {tokens.Count - 256} merges; a " +
                    $"vocabulary of {vocabSize} needs {merges}. Add text or lower vocabSize to at " +
                    $"most {tokens.Count + 1}.", nameof(texts));

            int left = (int)(best >> 32), right = (int)(best & 0xffffffff);
            byte[] bytes = [.. tokens[left], .. tokens[right]];
            string spelling = Encoding.Latin1.GetString(bytes);
            if (!ids.TryGetValue(spelling, out int merged))
            {
                merged = tokens.Count;
                tokens.Add(bytes);
                ids[spelling] = merged;
            }
            var touched = new HashSet<long>();
            foreach (int w in where[best].ToArray())
            {
                RemovePairs(words[w], counts[w], w, pairCounts, where, touched);
                words[w] = Merge(words[w], left, right, merged);
                AddPairs(words[w], counts[w], w, pairCounts, where, touched);
            }
            foreach (long pair in touched)
                if (pairCounts.TryGetValue(pair, out long c) && c > 0) heap.Enqueue(pair, (-c, pair));
        }
        return TiktokenLmTokenizer.FromRanks($"bpe-{vocabSize}", TiktokenLmTokenizer.ToRanks(tokens));
    }

    static (List<int[]> Words, List<long> Counts) CountPieces(IEnumerable<string> texts)
    {
        var regex = new Regex(TiktokenLmTokenizer.Gpt2Pattern, RegexOptions.Compiled);
        var pieces = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            foreach (Match match in regex.Matches(text))
                pieces[match.Value] = pieces.GetValueOrDefault(match.Value) + 1;
        }
        // A fixed order (ordinal) so the word indices, and so every tie, are the same on every run.
        var words = new List<int[]>(pieces.Count);
        var counts = new List<long>(pieces.Count);
        foreach (var (piece, count) in pieces.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            words.Add(Encoding.UTF8.GetBytes(piece).Select(b => (int)b).ToArray());
            counts.Add(count);
        }
        return (words, counts);
    }

    static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    static void AddPairs(int[] word, long count, int w, Dictionary<long, long> pairCounts,
        Dictionary<long, HashSet<int>> where, HashSet<long>? touched = null)
    {
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long k = Key(word[i], word[i + 1]);
            pairCounts[k] = pairCounts.GetValueOrDefault(k) + count;
            if (!where.TryGetValue(k, out var set)) where[k] = set = [];
            set.Add(w);
            touched?.Add(k);
        }
    }

    static void RemovePairs(int[] word, long count, int w, Dictionary<long, long> pairCounts,
        Dictionary<long, HashSet<int>> where, HashSet<long> touched)
    {
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long k = Key(word[i], word[i + 1]);
            pairCounts[k] -= count;
            where[k].Remove(w);
            touched.Add(k);
        }
    }

    static int[] Merge(int[] word, int left, int right, int merged)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == left && word[i + 1] == right) { result.Add(merged); i++; }
            else result.Add(word[i]);
        }
        return result.ToArray();
    }
}
