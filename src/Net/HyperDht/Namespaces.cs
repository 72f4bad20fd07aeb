// hypercore-crypto 3.7.0 namespace(name, ids) (spec/hyperswarm.md §3.1, §5.2):
//   ns    = BLAKE2b-256(ASCII name)
//   NS[i] = BLAKE2b-256(ns || one byte ids[i])
// hyperdht signs and keys everything under "hyperswarm/dht" with the command numbers as ids;
// secret-stream derives its stream ids and send keys under "hyperswarm/secret-stream" 0, 1, 2.
using System.Text;
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

public static class Namespaces
{
    public static byte[][] Create(string name, params byte[] ids)
    {
        var ns = Blake2b.Hash256(Encoding.ASCII.GetBytes(name));
        var result = new byte[ids.Length][];
        Span<byte> input = stackalloc byte[33];
        ns.CopyTo(input);
        for (var i = 0; i < ids.Length; i++)
        {
            input[32] = ids[i];
            result[i] = Blake2b.Hash256(input);
        }
        return result;
    }

    private static readonly byte[][] s_dht = Create("hyperswarm/dht",
        (byte)HyperDhtCommand.Announce, (byte)HyperDhtCommand.Unannounce, (byte)HyperDhtCommand.MutablePut,
        (byte)HyperDhtCommand.PeerHandshake, (byte)HyperDhtCommand.PeerHolepunch, (byte)HyperDhtCommand.Plugin);

    /// <summary>Prefix of announce signables.</summary>
    public static ReadOnlySpan<byte> Announce => s_dht[0];

    /// <summary>Prefix of unannounce signables.</summary>
    public static ReadOnlySpan<byte> Unannounce => s_dht[1];

    /// <summary>Prefix of mutable-put signables.</summary>
    public static ReadOnlySpan<byte> MutablePut => s_dht[2];

    /// <summary>The Noise IK prologue.</summary>
    public static ReadOnlySpan<byte> PeerHandshake => s_dht[3];

    /// <summary>Message of the holepunch secret (keyed by the handshake hash).</summary>
    public static ReadOnlySpan<byte> PeerHolepunch => s_dht[4];

    public static ReadOnlySpan<byte> Plugin => s_dht[5];
}
