// The byte-level vocabulary: token = one UTF-8 byte (0–255), plus BOS = 256. Lossless for any text, nothing to train.
using System.Text;

namespace MLNet.LowRank.Data.Tokenizers;

/// <summary>UTF-8 bytes as tokens, with BOS after the 256 byte values.</summary>
public sealed class ByteLevelTokenizer : LmTokenizer
{
    internal const string Kind = "bytes";

    /// <summary>The BOS id.</summary>
    public const int Bos = 256;

    public override string Name => "bytes";
    public override int VocabSize => 257;
    public override int BosId => Bos;

    public override int[] Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <summary>Invalid UTF-8 (a cut multi-byte character) becomes U+FFFD.</summary>
    public override string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i).ToArray());

    public override int ByteLength(int id) => id is >= 0 and < 256 ? 1 : 0;

    public override void Write(BinaryWriter writer) => writer.Write(Kind);
}
