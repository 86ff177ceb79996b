// The row every corpus reader produces: one document with a stable id and an optional group for stratified splits.
namespace MLNet.LowRank.Data;

/// <summary>One document as an IDataView row: columns Id, Group, Text.</summary>
public sealed class DocumentRow
{
    /// <summary>Stable identifier (Brown sample id, file path, JSONL id or line number).</summary>
    public string Id { get; set; } = "";

    /// <summary>Stratum for splitting (Brown genre letter); empty = split by a hash of the id.</summary>
    public string Group { get; set; } = "";

    /// <summary>The document's text.</summary>
    public string Text { get; set; } = "";
}
