// Hypercore 9 key derivations that the wire layer needs (spec/hypercore.md §1.3, §1.6):
//   discoveryKey(K)      = BLAKE2b-256(message "hypercore", key = K)                       32 bytes
//   capability(K)        = BLAKE2b-256("hypercore capability" || tx || K, key = rx)       32 bytes
//   remoteCapability(K)  = BLAKE2b-256("hypercore capability" || rx || K, key = tx)       32 bytes
// The feed key is the BLAKE2b *key* of the discovery key, not the message: easy to get backwards.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public static class HypercoreCrypto
{
    public const int KeySize = 32;
    private static ReadOnlySpan<byte> HypercoreLabel => "hypercore"u8;
    private static ReadOnlySpan<byte> CapabilityLabel => "hypercore capability"u8;

    public static byte[] DiscoveryKey(ReadOnlySpan<byte> feedKey)
    {
        RequireKey(feedKey, nameof(feedKey));
        return Blake2b.Hash256(HypercoreLabel, feedKey);
    }

    /// <summary>The capability this side sends in its Open for <paramref name="feedKey"/>.</summary>
    public static byte[] Capability(ReadOnlySpan<byte> feedKey, ReadOnlySpan<byte> rx, ReadOnlySpan<byte> tx)
        => CapabilityHash(feedKey, first: tx, key: rx);

    /// <summary>The capability this side expects in the remote's Open for <paramref name="feedKey"/>.</summary>
    public static byte[] RemoteCapability(ReadOnlySpan<byte> feedKey, ReadOnlySpan<byte> rx, ReadOnlySpan<byte> tx)
        => CapabilityHash(feedKey, first: rx, key: tx);

    /// <summary>Constant-time comparison, for capabilities received from the network.</summary>
    public static bool CapabilityEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        => a.Length == b.Length && CryptographicOperations.FixedTimeEquals(a, b);

    private static byte[] CapabilityHash(ReadOnlySpan<byte> feedKey, ReadOnlySpan<byte> first, ReadOnlySpan<byte> key)
    {
        RequireKey(feedKey, nameof(feedKey));
        RequireKey(first, "split");
        RequireKey(key, "split");
        var h = new Blake2bHasher(Blake2b.Hash256Size, key);
        h.Update(CapabilityLabel);
        h.Update(first);
        h.Update(feedKey);
        var o = new byte[Blake2b.Hash256Size];
        h.Final(o);
        return o;
    }

    private static void RequireKey(ReadOnlySpan<byte> key, string name)
    {
        if (key.Length != KeySize) throw new ArgumentException($"{name} must be {KeySize} bytes, got {key.Length}.", name);
    }
}
