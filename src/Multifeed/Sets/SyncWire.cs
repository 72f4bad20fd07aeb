// CABAL_DOTNET_SYNC: our own stream extension, sent only to peers that announced it (JS never
// does, and drops unknown extension names anyway). One message per side, right before its
// MANIFEST, listing for every feed in the set its length and whether every block is held:
//   byte version (1), then per feed: 32-byte key ‖ varint(length << 1 | complete).
// Binary rather than JSON: with 10,000 feeds it is 340 KB instead of ~900 KB, and parsing it
// allocates one string per key.
using System.Buffers;
using Cabal.Net.Protocol;

namespace Cabal.Multifeed.Sets;

internal static class SyncWire
{
    public const string Name = "CABAL_DOTNET_SYNC";
    private const byte FormatVersion = 1;

    public readonly record struct Entry(ulong Length, bool Complete);

    public static byte[] Write(IReadOnlyCollection<Feed> feeds)
    {
        var buffer = new ArrayBufferWriter<byte>(1 + feeds.Count * 36);
        buffer.GetSpan(1)[0] = FormatVersion;
        buffer.Advance(1);
        foreach (var f in feeds)
        {
            var length = f.Length;
            var complete = f.Contiguous >= length;
            var span = buffer.GetSpan(32 + 10);
            f.Key.CopyTo(span);
            var n = 32 + Varint.Write(span[32..], (length << 1) | (complete ? 1UL : 0UL));
            buffer.Advance(n);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static Dictionary<string, Entry> Read(ReadOnlySpan<byte> body, int maxEntries)
    {
        if (body.Length == 0 || body[0] != FormatVersion) throw new MultifeedProtocolException("sync message has an unknown format");
        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var s = body[1..];
        while (!s.IsEmpty)
        {
            if (s.Length < 33) throw new MultifeedProtocolException("sync message is truncated");
            if (result.Count == maxEntries) throw new MultifeedProtocolException($"sync message lists more than {maxEntries} feeds");
            var key = Convert.ToHexStringLower(s[..32]);
            s = s[32..];
            var v = ReadVarint(ref s);
            result[key] = new Entry(v >> 1, (v & 1) != 0);
        }
        return result;
    }

    private static ulong ReadVarint(ref ReadOnlySpan<byte> s)
    {
        var n = Varint.TryRead(s, Varint.MaxLength, out var v);
        if (n <= 0) throw new MultifeedProtocolException("sync message has a bad varint");
        s = s[n..];
        return v;
    }
}
