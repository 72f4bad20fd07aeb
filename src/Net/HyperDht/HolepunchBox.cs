// Holepunch payload boxes (lib/secure-payload.js; spec/hyperswarm.md §3.10):
//   holepunchSecret = BLAKE2b-256(message = NS_PEER_HOLEPUNCH, key = Noise handshake hash)
//   box             = nonce (24, random) || crypto_secretbox_easy(holepunchPayload, nonce, holepunchSecret)
//   token(address)  = BLAKE2b-256(message = ASCII host, key = a random per-connection secret)
// Only the two ends of a handshake know the secret, so relays forward these boxes blind. A box that
// fails to open (wrong key, tampered, truncated) or does not decode is refused: Open returns false.
using System.Security.Cryptography;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

public sealed unsafe class HolepunchBox
{
    public const int NonceSize = 24;
    public const int MacSize = 16;

    private readonly byte[] _secret;
    private readonly byte[] _localSecret;

    public HolepunchBox(ReadOnlySpan<byte> holepunchSecret, ReadOnlySpan<byte> localSecret = default)
    {
        if (holepunchSecret.Length != 32) throw new ArgumentException("The holepunch secret is 32 bytes.", nameof(holepunchSecret));
        _secret = holepunchSecret.ToArray();
        _localSecret = localSecret.IsEmpty ? RandomNumberGenerator.GetBytes(32) : localSecret.ToArray();
        if (_localSecret.Length != 32) throw new ArgumentException("The local secret is 32 bytes.", nameof(localSecret));
    }

    public static byte[] SecretFromHandshakeHash(ReadOnlySpan<byte> handshakeHash) => Blake2b.Hash256(Namespaces.PeerHolepunch, handshakeHash);

    /// <summary>Our address token for <paramref name="address"/> (the host only).</summary>
    public byte[] Token(Ipv4EndPoint address)
    {
        Span<byte> host = stackalloc byte[Ipv4EndPoint.MaxHostLength];
        var n = address.WriteHostAscii(host);
        return Blake2b.Hash256(host[..n], _localSecret);
    }

    public byte[] Seal(HolepunchPayload payload, ReadOnlySpan<byte> nonce = default)
    {
        var plain = payload.Encode();
        var box = new byte[NonceSize + MacSize + plain.Length];
        if (nonce.IsEmpty) RandomNumberGenerator.Fill(box.AsSpan(0, NonceSize));
        else nonce[..NonceSize].CopyTo(box);
        Sodium.EnsureInitialized();
        fixed (byte* c = &box[NonceSize]) fixed (byte* m = plain) fixed (byte* n = box) fixed (byte* k = _secret)
            Sodium.crypto_secretbox_easy(c, m, (ulong)plain.Length, n, k);
        return box;
    }

    public bool TryOpen(ReadOnlySpan<byte> box, out HolepunchPayload payload)
    {
        payload = null!;
        if (box.Length <= NonceSize + MacSize) return false;
        var plain = new byte[box.Length - NonceSize - MacSize];
        Sodium.EnsureInitialized();
        fixed (byte* m = plain) fixed (byte* c = &box[NonceSize]) fixed (byte* n = box) fixed (byte* k = _secret)
        {
            if (Sodium.crypto_secretbox_open_easy(m, c, (ulong)(box.Length - NonceSize), n, k) != 0) return false;
        }
        return HolepunchPayload.TryDecode(plain, out payload);
    }
}
