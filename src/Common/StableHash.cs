// A hash that is the same in every process and on every machine (string.GetHashCode and HashCode are randomised per
// process): for split decisions, trial file ids and checkpoint fingerprints.
namespace MLNet.LowRank.Common;

/// <summary>64-bit FNV-1a.</summary>
public static class StableHash
{
    const ulong Offset = 14695981039346656037UL, Prime = 1099511628211UL;

    /// <summary>FNV-1a of <paramref name="bytes"/>, starting from <paramref name="seed"/> mixed into the offset
    /// basis.</summary>
    public static ulong Fnv1a(ReadOnlySpan<byte> bytes, ulong seed = 0)
    {
        ulong h = Offset ^ seed;
        foreach (byte b in bytes) { h ^= b; h *= Prime; }
        return h;
    }

    /// <summary>FNV-1a of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Fnv1a(string text, ulong seed = 0) => Fnv1a(System.Text.Encoding.UTF8.GetBytes(text), seed);

    /// <summary>FNV-1a over a sequence of 32-bit values (each folded in whole, as the checkpoint fingerprint always
    /// has).</summary>
    public static ulong Fnv1a(ReadOnlySpan<int> values)
    {
        ulong h = Offset;
        foreach (int v in values) { h ^= (uint)v; h *= Prime; }
        return h;
    }
}
