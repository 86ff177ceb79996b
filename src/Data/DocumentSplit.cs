// A deterministic train/validation split by document, stratified by group: never by position in the token stream,
// so no document is cut between the two sets, and every group (Brown: every genre) appears in validation. A corpus too
// small for that (one document) can instead be split by position: each document's end held out.
namespace MLNet.LowRank.Data;

/// <summary>Splits documents into training and validation sets.</summary>
public static class DocumentSplit
{
    /// <summary>Within each group, documents ordered by id; every k-th (k ≈ 1/fraction, offset by the seed) goes to
    /// validation. The same inputs always give the same split.</summary>
    public static (IReadOnlyList<CorpusDocument> Train, IReadOnlyList<CorpusDocument> Validation) ByGroup(
        IReadOnlyList<CorpusDocument> documents, double validationFraction, int seed = 0)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
        var train = new List<CorpusDocument>();
        var valid = new List<CorpusDocument>();
        foreach (var group in documents.GroupBy(d => d.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
            if (ordered.Count < 2) { train.AddRange(ordered); continue; }
            int take = Math.Max(1, (int)Math.Round(ordered.Count * validationFraction));
            if (take >= ordered.Count) take = ordered.Count - 1;
            double stride = (double)ordered.Count / Math.Max(take, 1);
            var chosen = new HashSet<int>();
            for (int k = 0; k < take; k++)
                chosen.Add((int)((k * stride + Math.Abs(seed) % Math.Max(1, (int)stride)) % ordered.Count));
            for (int i = 0; i < ordered.Count; i++) (chosen.Contains(i) ? valid : train).Add(ordered[i]);
        }
        return (train, valid);
    }

    /// <summary>Documents without groups: validation when a stable 64-bit FNV-1a hash of (seed, id) falls in the lowest
    /// <paramref name="validationFraction"/> of its range; at least one document on each side when there are two or
    /// more.</summary>
    public static (IReadOnlyList<CorpusDocument> Train, IReadOnlyList<CorpusDocument> Validation) ByHash(
        IReadOnlyList<CorpusDocument> documents, double validationFraction, int seed = 0)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
        var ranked = documents.Select(d => (Doc: d,
            U: Hash(seed, d.Id) / (double)ulong.MaxValue)).OrderBy(x => x.U).ThenBy(x => x.Doc.Id,
            StringComparer.Ordinal).ToList();
        int take = ranked.Count(x => x.U < validationFraction);
        if (ranked.Count >= 2) take = Math.Clamp(take, 1, ranked.Count - 1);
        var valid = ranked.Take(take).Select(x => x.Doc).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var train = ranked.Skip(take).Select(x => x.Doc).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        return (train, valid);
    }

    /// <summary>Each document's last <paramref name="validationFraction"/> held out, by position (as nanoGPT holds out
    /// the end of its one stream): what a corpus of one document, or of too few to hold one out, can do. The cut moves
    /// forward to the next line break when one is within 1,000 characters, and never splits a surrogate pair; the
    /// held-out part is the document "&lt;id&gt;#tail". Parts left empty are dropped.</summary>
    public static (IReadOnlyList<CorpusDocument> Train, IReadOnlyList<CorpusDocument> Validation) ByPosition(
        IReadOnlyList<CorpusDocument> documents, double validationFraction)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
        var train = new List<CorpusDocument>();
        var valid = new List<CorpusDocument>();
        foreach (var d in documents)
        {
            int cut = (int)Math.Floor(d.Text.Length * (1 - validationFraction));
            int newline = d.Text.IndexOf('\n', Math.Min(cut, d.Text.Length));
            if (newline >= 0 && newline - cut <= 1000) cut = newline + 1;
            if (cut > 0 && cut < d.Text.Length && char.IsLowSurrogate(d.Text[cut])) cut--;
            if (cut > 0) train.Add(d with { Text = d.Text[..cut] });
            if (cut < d.Text.Length) valid.Add(d with { Id = d.Id + "#tail", Text = d.Text[cut..] });
        }
        return (train, valid);
    }

    /// <summary>The per-document rule of <see cref="ByHash"/> without the clamp: validation when the stable hash of
    /// (seed, id) falls in the lowest <paramref name="validationFraction"/> of its range. Decided from the id alone, so
    /// a stream of documents is split without holding it.</summary>
    public static bool IsValidation(string id, double validationFraction, int seed = 0) => Hash(seed,
        id) / (double)ulong.MaxValue < validationFraction;

    static ulong Hash(int seed, string id)
    {
        ulong h = Common.StableHash.Fnv1a(id, (uint)seed);
        // FNV-1a leaves the high bits of short, similar ids correlated; a final avalanche (MurmurHash3's fmix64)
        // spreads them.
        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53UL; h ^= h >> 33;
        return h;
    }
}
