// The byte-level vocabulary: token = one UTF-8 byte (0–255), plus BOS = 256. Lossless for any text, no training needed.
using System.Text;

namespace MLNet.LowRank.Data;

/// <summary>UTF-8 bytes as tokens, with a BOS token after the 256 byte values.</summary>
public sealed class ByteTokenizer
{
    /// <summary>The BOS id.</summary>
    public const int Bos = 256;

    /// <summary>256 bytes + BOS.</summary>
    public int VocabSize => 257;

    /// <summary>The UTF-8 bytes of <paramref name="text"/>.</summary>
    public int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    /// <summary>Text of the byte tokens in <paramref name="ids"/> (special tokens dropped; invalid UTF-8 becomes U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i).ToArray());

    /// <summary>1 for every byte token, 0 for BOS.</summary>
    public int[] BytesPerToken() => Enumerable.Range(0, VocabSize).Select(i => i < 256 ? 1 : 0).ToArray();
}
