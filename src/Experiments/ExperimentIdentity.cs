// What a run directory's trials were trained on, as text for its fingerprint, so that a rerun into the same directory
// with other data is refused with the difference named instead of mixing trials: the documents (a content hash of the
// training and validation text; token shards by their manifest's identity), and the assemblies of any extension
// (variant, optimizer, rank-schedule kind from outside the library) the trials use — an extension rebuilt with other
// code is another experiment.
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.ML;
using MLNet.LowRank.Common;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Experiments;

internal static class ExperimentIdentity
{
    /// <summary>"N documents, C characters #hash" over the text column, in order.</summary>
    public static string Documents(IDataView data, string textColumn)
    {
        long count = 0, chars = 0;
        ulong h = 0;
        foreach (var text in LmTokenizerEstimator.ReadTexts(data, textColumn))
        {
            h = StableHash.Fnv1a(text, h ^ (ulong)count);
            count++;
            chars += text.Length;
        }
        return $"{count:N0} documents, {chars:N0} characters #{h:x16}";
    }

    /// <summary>"Name sha256:…" for each assembly outside the library whose types the configurations use, or
    /// "none".</summary>
    public static string Extensions(IEnumerable<LowRankLmTrainer.Options> configurations)
    {
        var library = typeof(Gpt).Assembly;
        var assemblies = configurations
            .SelectMany(o => new[] { o.Model.Variant.GetType(), o.Training.Optimizer.GetType(),
            Implementation(o.Model.AttentionRank), Implementation(o.Model.MlpRank) })
            .Where(t => t is not null).Select(t => t!.Assembly).Where(a => a != library).Distinct()
            .OrderBy(a => a.GetName().Name, StringComparer.Ordinal).ToList();
        return assemblies.Count == 0 ? "none" : string.Join("; ",
            assemblies.Select(a => $"{a.GetName().Name} {Hash(a)}"));
    }

    static Type? Implementation(RankSchedule? schedule) => schedule?.ImplementationType;

    /// <summary>The SHA-256 of the assembly's file where it has one, else its module version id (unique per
    /// build).</summary>
    static string Hash(Assembly a)
    {
        if (!string.IsNullOrEmpty(a.Location) && File.Exists(a.Location))
            using (var stream = File.OpenRead(a.Location))
                return "sha256:" + Convert.ToHexString(SHA256.HashData(stream))[..16].ToLowerInvariant();
        return "mvid:" + a.ManifestModule.ModuleVersionId.ToString("N");
    }
}
