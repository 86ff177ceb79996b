// Names that moved in the experiment-spec release, kept for one release as forwards so that code written against the
// release before still compiles (with a warning that names the new place). Remove them in the release after.
using System.ComponentModel;

namespace MLNet.LowRank
{
    /// <summary>Renamed <see cref="ExtensionRegistry"/>: it is the registry of named extensions, not extension
    /// methods.</summary>
    [Obsolete("Renamed ExtensionRegistry; this forward goes in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class LowRankExtensions
    {
        /// <inheritdoc cref="ExtensionRegistry.Register(Model.LinearVariant)"/>
        public static void Register(Model.LinearVariant variant) => ExtensionRegistry.Register(variant);

        /// <inheritdoc cref="ExtensionRegistry.Register(Training.IOptimizerFactory)"/>
        public static void Register(Training.IOptimizerFactory optimizer) => ExtensionRegistry.Register(optimizer);

        /// <inheritdoc cref="ExtensionRegistry.RegisterRankSchedule"/>
        public static void RegisterRankSchedule(string kind,
            Func<double[], Model.RankSchedule> create) => ExtensionRegistry.RegisterRankSchedule(kind, create);

        /// <inheritdoc cref="ExtensionRegistry.Register(Data.Tokenizers.ExternalLmTokenizer)"/>
        public static void Register(Data.Tokenizers.ExternalLmTokenizer tokenizer) =>
            ExtensionRegistry.Register(tokenizer);

        /// <inheritdoc cref="ExtensionRegistry.RegisterAll"/>
        public static IReadOnlyList<string> RegisterAll(System.Reflection.Assembly assembly) =>
            ExtensionRegistry.RegisterAll(assembly);
    }
}

namespace MLNet.LowRank.Experiments
{
    /// <summary>Moved to <see cref="Common.Suggest"/>.</summary>
    [Obsolete("Moved to MLNet.LowRank.Common.Suggest; this forward goes in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class Suggest
    {
        /// <inheritdoc cref="Common.Suggest.Closest"/>
        public static string Closest(string name, IEnumerable<string> candidates) => Common.Suggest.Closest(name,
            candidates);
    }
}

namespace MLNet.LowRank.Training
{
    /// <summary>Moved to <see cref="Common.AtomicFile"/>: models, data, records and checkpoints all write through
    /// it.</summary>
    [Obsolete("Moved to MLNet.LowRank.Common.AtomicFile; this forward goes in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class AtomicFile
    {
        /// <inheritdoc cref="Common.AtomicFile.Write"/>
        public static void Write(string path, Action<Stream> write) => Common.AtomicFile.Write(path, write);

        /// <inheritdoc cref="Common.AtomicFile.WriteText"/>
        public static void WriteText(string path, string content) => Common.AtomicFile.WriteText(path, content);
    }
}
