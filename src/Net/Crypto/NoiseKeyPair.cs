// X25519 key pairs for the Noise handshake (RFC 7748 through libsodium crypto_scalarmult;
// spec/hypercore.md §1.7). Public and secret keys are 32 bytes.
//   random: sk = 32 CSPRNG bytes, stored unclamped (clamping happens inside the scalar multiplication,
//           exactly like crypto_kx_keypair), pk = X25519(sk, 9)
//   seeded: sk = BLAKE2b-256(seed), pk = X25519(sk, 9)        (crypto_kx_seed_keypair, seed 32 bytes)
// In hypercore-protocol the static key is per connection and random unless supplied; cabal never
// supplies one, so it is not an identity there. The seeded form exists for identities and test vectors.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public sealed unsafe class NoiseKeyPair
{
    public const int KeySize = 32;
    public const int SeedSize = 32;

    private readonly byte[] _secretKey;

    private NoiseKeyPair(byte[] publicKey, byte[] secretKey)
    {
        PublicKey = publicKey;
        _secretKey = secretKey;
    }

    public byte[] PublicKey { get; }

    public ReadOnlySpan<byte> SecretKey => _secretKey;

    public static NoiseKeyPair Generate()
    {
        var sk = new byte[KeySize];
        RandomNumberGenerator.Fill(sk);
        return FromSecretKey(sk);
    }

    public static NoiseKeyPair FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException($"A Noise key seed is {SeedSize} bytes, got {seed.Length}.", nameof(seed));
        return FromSecretKey(Blake2b.Hash256(seed));
    }

    public static NoiseKeyPair FromSecretKey(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != KeySize) throw new ArgumentException($"An X25519 secret key is {KeySize} bytes, got {secretKey.Length}.", nameof(secretKey));
        Sodium.EnsureInitialized();
        var sk = secretKey.ToArray();
        var pk = new byte[KeySize];
        fixed (byte* p = pk) fixed (byte* s = sk)
        {
            if (Sodium.crypto_scalarmult_base(p, s) != 0)
                throw new ArgumentException("X25519 rejected the secret key.", nameof(secretKey));
        }
        return new NoiseKeyPair(pk, sk);
    }

    /// <summary>
    /// X25519(my secret, remote public) into a 32-byte output. False when the result is all zero
    /// (a low-order remote point): libsodium refuses those, and so does the JS side (it throws).
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> remotePublicKey, Span<byte> sharedSecret)
    {
        if (remotePublicKey.Length != KeySize || sharedSecret.Length != KeySize) return false;
        fixed (byte* q = sharedSecret) fixed (byte* s = _secretKey) fixed (byte* p = remotePublicKey)
            return Sodium.crypto_scalarmult(q, s, p) == 0;
    }

    public override string ToString() => $"NoiseKeyPair({Convert.ToHexStringLower(PublicKey)})";
}
