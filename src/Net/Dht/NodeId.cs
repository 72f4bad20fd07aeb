// dht-rpc node ids and XOR distance (spec/hyperswarm.md §2.4, dht-rpc/lib/peer.js):
//   id = BLAKE2b-256(ipv4Address(host, port))   — the 6-byte compact address, port u16le
// A persistent node's id is derived from its public address, so a receiver can check a claimed id
// against the UDP source and discard it if they differ. Distances compare bytewise, big-endian.
using Cabal.Net.Compact;
using Cabal.Net.Crypto;

namespace Cabal.Net.Dht;

public static class NodeId
{
    public const int Size = DhtWire.KeySize;

    public static byte[] FromEndPoint(Ipv4EndPoint endPoint)
    {
        var id = new byte[Size];
        FromEndPoint(endPoint, id);
        return id;
    }

    public static void FromEndPoint(Ipv4EndPoint endPoint, Span<byte> id)
    {
        Span<byte> encoded = stackalloc byte[Ipv4EndPoint.Size];
        var w = new CompactWriter(encoded);
        w.WriteIpv4EndPoint(endPoint);
        Blake2b.Hash(encoded, id[..Size]);
    }

    /// <summary>True when <paramref name="claimed"/> is the id of <paramref name="source"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> claimed, Ipv4EndPoint source)
    {
        Span<byte> expected = stackalloc byte[Size];
        FromEndPoint(source, expected);
        return claimed.SequenceEqual(expected);
    }

    /// <summary>
    /// Sign of distance(a, target) − distance(b, target) under XOR, compared bytewise big-endian.
    /// Negative: a is closer.
    /// </summary>
    public static int CompareDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> target)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) continue;
            return (target[i] ^ a[i]) - (target[i] ^ b[i]);
        }
        return 0;
    }
}
