// A deterministic train/validation split by document, stratified by group: never by position in the token stream,
// so no document is cut between the two sets, and every group (Brown: every genre) appears in validation.
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
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must be in (0, 1); got {validationFraction}.");
        var train = new List<CorpusDocument>();
        var valid = new List<CorpusDocument>();
        foreach (var group in documents.GroupBy(d => d.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
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
}
