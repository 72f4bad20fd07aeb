// Signatures over announce/unannounce records and mutable values (lib/persistent.js; spec/hyperswarm.md
// §3.3), plain Ed25519 (crypto_sign_detached) over a 64-byte signable:
//   announce   NS_ANNOUNCE   || BLAKE2b-256(target || nodeId || token || encode(peer) || refresh?)
//   unannounce NS_UNANNOUNCE || the same hash (JS signs relayAddresses = [])
//   mutable    NS_MUTABLE_PUT || BLAKE2b-256(encode(mutableSignable{seq, value}))
// nodeId and token are those of the storing node (from its LOOKUP/FIND_PEER reply), so a record signed
// for one node cannot be replayed to another, nor to the same one once its token expires.
// Note the order target, nodeId, token (the JS helper takes them as target, token, id).
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

public static class AnnounceSignature
{
    public const int SignableSize = 64;

    public static byte[] Signable(ReadOnlySpan<byte> ns, ReadOnlySpan<byte> target, ReadOnlySpan<byte> nodeId, ReadOnlySpan<byte> token, PeerRecord peer, ReadOnlySpan<byte> refresh)
    {
        var signable = new byte[SignableSize];
        ns[..32].CopyTo(signable);
        var h = new Blake2bHasher(32);
        h.Update(target);
        h.Update(nodeId);
        h.Update(token);
        h.Update(peer.Encode());
        h.Update(refresh);
        h.Final(signable.AsSpan(32));
        return signable;
    }

    public static byte[] SignAnnounce(ReadOnlySpan<byte> target, ReadOnlySpan<byte> nodeId, ReadOnlySpan<byte> token, PeerRecord peer, ReadOnlySpan<byte> refresh, ReadOnlySpan<byte> secretKey)
        => Sign(Signable(Namespaces.Announce, target, nodeId, token, peer, refresh), secretKey);

    public static byte[] SignUnannounce(ReadOnlySpan<byte> target, ReadOnlySpan<byte> nodeId, ReadOnlySpan<byte> token, PeerRecord peer, ReadOnlySpan<byte> secretKey)
        => Sign(Signable(Namespaces.Unannounce, target, nodeId, token, peer, default), secretKey);

    /// <summary>Checks an (un)announce the way a storing node does; false for anything malformed.</summary>
    public static bool Verify(ReadOnlySpan<byte> ns, ReadOnlySpan<byte> target, ReadOnlySpan<byte> nodeId, ReadOnlySpan<byte> token, AnnounceMessage message)
    {
        if (message.Peer is not { } peer || message.Signature is not { Length: 64 } signature) return false;
        var signable = Signable(ns, target, nodeId, token, peer, message.Refresh ?? []);
        return Ed25519.Verify(signable, signature, peer.PublicKey);
    }

    public static byte[] MutableSignable(ulong seq, byte[] value)
    {
        var signable = new byte[SignableSize];
        Namespaces.MutablePut.CopyTo(signable);
        Blake2b.Hash(new MutableSignable(seq, value).Encode(), signable.AsSpan(32, 32));
        return signable;
    }

    public static byte[] SignMutable(ulong seq, byte[] value, ReadOnlySpan<byte> secretKey) => Sign(MutableSignable(seq, value), secretKey);

    public static bool VerifyMutable(ReadOnlySpan<byte> signature, ulong seq, byte[] value, ReadOnlySpan<byte> publicKey)
        => Ed25519.Verify(MutableSignable(seq, value), signature, publicKey);

    private static byte[] Sign(byte[] signable, ReadOnlySpan<byte> secretKey)
    {
        var signature = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(signable, secretKey, signature);
        return signature;
    }
}
