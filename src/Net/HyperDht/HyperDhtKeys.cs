// hyperdht key pairs and hashes (lib/crypto.js): Ed25519 (crypto_sign_seed_keypair; the secret key is
// libsodium's 64-byte seed || publicKey) and hash(x) = BLAKE2b-256(x). A server is found under
// hash(publicKey); topics are 32-byte keys chosen by the application (cabal: the discovery key).
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

public static class HyperDhtKeys
{
    /// <summary>Key pair from a 32-byte seed; random when <paramref name="seed"/> is empty.</summary>
    public static KeyPair KeyPair(ReadOnlySpan<byte> seed = default)
        => seed.IsEmpty ? Ed25519.NewKeyPair() : Ed25519.KeyPairFromSeed(seed);

    public static byte[] Hash(ReadOnlySpan<byte> data) => Blake2b.Hash256(data);
}
