// How our stages go into, and come back out of, the zip that `mlContext.Model.Save` writes.
//
// Save: each stage writes its own entry (LowRank.bin: format header, kind, payload) next to its ML.NET header, and the
// header itself is a CustomMapping header whose contract name says how to load the model. ML.NET gives no public way to
// add a stream to a model entry, so the entry is written through ModelSaveContext.SaveBinaryStream (internal, present
// since ML.NET 1.0; the pinned 5.0.1 has it) — failing loudly, never silently, if it were gone. Load:
// `mlContext.LowRank().LoadModel(path)` reads the entries back in pipeline order. `mlContext.Model.Load` cannot restore
// weights; it finds our contract and fails with a message naming LoadModel, so no model ever loads without them.
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNet.LowRank.Transformers;

internal static partial class ModelPersistence
{
    public const string EntryName = "LowRank.bin";
    public const string Magic = "MLNet.LowRank model";
    public const int FormatVersion = 1;

    /// <summary>The contract name of the header; ML.NET's own error quotes it when our assembly is not
    /// registered.</summary>
    public const string Contract = "MLNet.LowRank stage - load this model with mlContext.LowRank().LoadModel(path)";

    static readonly MethodInfo? SaveBinaryStream =
        typeof(ModelSaveContext).GetMethod("SaveBinaryStream", BindingFlags.Instance | BindingFlags.NonPublic,
        [typeof(string), typeof(Action<BinaryWriter>)]);

    public static void Save(ModelSaveContext ctx, string kind, Action<BinaryWriter> payload)
    {
        if (SaveBinaryStream is null)
            throw new NotSupportedException("This Microsoft.ML version has no ModelSaveContext.SaveBinaryStream; " +
                "MLNet.LowRank cannot save into it. Use the pinned Microsoft.ML 5.0.1.");
        Action<BinaryWriter> write = w =>
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(kind);
            payload(w);
        };
        SaveBinaryStream.Invoke(ctx, [EntryName, write]);
        ((ICanSaveModel)HeaderMarker.Value).Save(ctx);
    }

    /// <summary>Reads every stage saved in <paramref name="path"/>, in pipeline order, models onto
    /// <paramref name="device"/>, and the input schema saved with them.</summary>
    public static ITransformer Load(string path, TorchSharp.torch.Device device, out DataViewSchema? inputSchema)
    {
        using var stream = Common.UserFile.OpenRead(path,
            long.MaxValue, "model file");   // any size; never a FIFO or device
        return Load(stream, path, device, out inputSchema);
    }

    /// <summary>As <see cref="Load(string, TorchSharp.torch.Device, out DataViewSchema?)"/> from a stream (left open);
    /// <paramref name="name"/> names it in errors.</summary>
    public static ITransformer Load(Stream stream, string name, TorchSharp.torch.Device device,
        out DataViewSchema? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var stages = zip.Entries.Where(e => e.Name == EntryName).OrderBy(e => SortKey(e.FullName),
                StringComparer.Ordinal).ToList();
            if (stages.Count == 0)
                throw new InvalidDataException($"'{name}' holds no MLNet.LowRank stage: it was not saved from a " +
                    $"pipeline with TokenizeForLanguageModel, LowRankLm or GenerateText. Load other ML.NET models " +
                    $"with mlContext.Model.Load.");
            int transforms = zip.Entries.Count(e => e.FullName.EndsWith("/Model.key",
                StringComparison.Ordinal) && TransformDirectory().IsMatch(e.FullName));
            if (transforms > stages.Count)
                throw new InvalidDataException($"'{name}' mixes MLNet.LowRank stages " +
                    $"with {transforms - stages.Count} other ML.NET transform(s); LoadModel restores only " +
                    $"MLNet.LowRank stages. Save the language-model pipeline on its own.");
            inputSchema = ReadInputSchema(zip);
            var transformers = stages.Select(e => ReadStage(e, name, device)).ToArray();
            return transformers.Length == 1 ? transformers[0] : new TransformerChain<ITransformer>(transformers);
        }
        catch (InvalidDataException e) when (e.Data
            .Contains(ExtensionRegistry.MissingRegistration)) { throw ExtensionRegistry
            .Missing($"'{name}': {e.Message}", e); }
        catch (InvalidDataException e) when (!e.Message.Contains(name)) { throw Corrupt(name, e); }
        catch (Exception e) when (e is EndOfStreamException or FormatException or System.Text.Json.JsonException) { throw Corrupt(name, e); }
    }

    /// <summary>The schema mlContext.Model.Save stored beside the stages (its "Schema" entry: an empty IDataView in
    /// ML.NET's binary format), or null when the model was saved without one.</summary>
    static DataViewSchema? ReadInputSchema(ZipArchive zip)
    {
        if (zip.GetEntry(SchemaEntry) is not { } entry) return null;
        var bytes = new MemoryStream();
        using (var s = Open(entry, MaxSchemaBytes)) s.CopyTo(bytes);
        // ML.NET's binary loader reports damage in its own ways (FormatException, InvalidOperationException, …): any
        // failure to read this entry means the file is damaged.
        try { return new MLContext().Data.LoadFromBinary(new BytesSource(bytes.ToArray())).Schema; }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException or InvalidDataException))
        {
            throw new InvalidDataException($"its saved input schema (the \"{SchemaEntry}\" entry) is damaged " +
                $"({e.GetType().Name}: {e.Message.Split('\n')[0]})", e);
        }
    }

    const string SchemaEntry = "Schema";

    /// <summary>The schema of an empty IDataView with a handful of columns is a few kilobytes; this bounds a forged
    /// one.</summary>
    const long MaxSchemaBytes = 16L << 20;

    /// <summary>How much larger than its compressed bytes an entry may declare itself once it is over 64 MiB: weights
    /// are float32 noise that deflate barely shrinks; only a crafted entry (zeros) inflates a thousandfold.</summary>
    const long MaxRatio = 100, RatioFloor = 64L << 20;

    /// <summary>An entry's stream, counted as it inflates: no more than it declares (nor than <paramref name="max"/>),
    /// and refused at once when it declares far more than its compressed size could honestly hold.</summary>
    static Stream Open(ZipArchiveEntry entry, long max)
    {
        if (entry.Length > max)
            throw new InvalidDataException($"entry {entry.FullName} declares {entry.Length:N0} bytes, more than " +
                $"the {max:N0} it may hold");
        if (entry.Length > RatioFloor && entry.Length > MaxRatio * Math.Max(1, entry.CompressedLength))
            throw new InvalidDataException($"entry {entry.FullName} declares {entry.Length:N0} bytes " +
                $"from {entry.CompressedLength:N0} compressed " +
                $"({entry.Length / Math.Max(1, entry.CompressedLength):N0}×): a model's weights never compress like " +
                $"that; the file is built to exhaust memory");
        return new Common.BoundedReadStream(entry.Open(), entry.Length, $"entry {entry.FullName}");
    }

    /// <summary>One in-memory file for ML.NET's binary loader.</summary>
    sealed class BytesSource(byte[] bytes) : Microsoft.ML.Data.IMultiStreamSource
    {
        public int Count => 1;
        public string? GetPathOrNull(int index) => null;
        public Stream Open(int index) => new MemoryStream(bytes, writable: false);
        public TextReader OpenTextReader(int index) => new StreamReader(Open(index));
    }

    static ITransformer ReadStage(ZipArchiveEntry entry, string path, TorchSharp.torch.Device device)
    {
        using var stream = Open(entry, long.MaxValue);
        using var r = new BinaryReader(stream);
        if (r.ReadString() != Magic)
            throw new InvalidDataException($"'{path}': entry {entry.FullName} is not an MLNet.LowRank stage.");
        int version = r.ReadInt32();
        if (version > FormatVersion)
            throw new InvalidDataException($"'{path}' was saved in MLNet.LowRank model format {version}; this " +
                $"library reads format {FormatVersion} and older. Upgrade MLNet.LowRank to load it.");
        string kind = r.ReadString();
        return kind switch
        {
            LmTokenizerTransformer.Kind => LmTokenizerTransformer.Read(r),
            LowRankLmTransformer.Kind => LowRankLmTransformer.Read(r, entry.Length, device),
            TextGenerationTransformer.Kind => TextGenerationTransformer.Read(r, entry.Length, device),
            _ => throw new InvalidDataException($"'{path}': unknown stage kind '{kind}' in {entry.FullName}."),
        };
    }

    static Exception Corrupt(string path, Exception inner) =>
        new InvalidDataException($"'{path}' is truncated or corrupted ({inner.Message}). Save the model again.", inner);

    // "…/Transform_10/…" sorts after "…/Transform_9/…": pad the indices.
    static string SortKey(string fullName) => TransformIndex().Replace(fullName,
        m => m.Groups[1].Value + m.Groups[2].Value.PadLeft(6, '0'));

    [GeneratedRegex(@"(Transform_)(\d+)")]
    private static partial Regex TransformIndex();

    [GeneratedRegex(@"Transform_\d+/Model\.key$")]
    private static partial Regex TransformDirectory();

    /// <summary>A fitted CustomMapping with our contract, whose Save writes the header.</summary>
    static readonly Lazy<ITransformer> HeaderMarker = new(() =>
    {
        var ml = new MLContext();
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<SavedStageMarker.Row>());
        return ml.Transforms.CustomMapping<SavedStageMarker.Row, SavedStageMarker.Row>((_, _) => { },
            Contract).Fit(empty);
    });
}

/// <summary>What `mlContext.Model.Load` finds for an MLNet.LowRank stage: a factory that refuses, naming the right
/// call.</summary>
[CustomMappingFactoryAttribute(ModelPersistence.Contract)]
public sealed class SavedStageMarker : CustomMappingFactory<SavedStageMarker.Row, SavedStageMarker.Row>
{
    /// <summary>Placeholder row (one unused column).</summary>
    public sealed class Row
    {
        public float MLNetLowRankStage { get; set; }
    }

    public override Action<Row, Row> GetMapping() => throw new InvalidOperationException(
        "This model contains MLNet.LowRank stages whose weights mlContext.Model.Load cannot restore. Load it with " +
        "mlContext.LowRank().LoadModel(path).");
}
