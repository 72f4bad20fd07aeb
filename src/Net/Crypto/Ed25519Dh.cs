// Diffie-Hellman on Ed25519 keys as noise-curve-ed 2.1.0 does it (spec/hyperswarm.md §4.2), for
// HyperDHT's Noise_IK_Ed25519_ChaChaPoly_BLAKE2b:
//   a      = SHA-512(secretKey[0..32])[0..32], clamped (a[0] &= 248, a[31] &= 127, a[31] |= 64)
//   DH     = crypto_scalarmult_ed25519_noclamp(a, remotePublicKey)      32 bytes
// The output is the compressed Edwards point a·P (y with the sign of x in bit 255), not an X25519 u
// coordinate: NSec's X25519 cannot produce it, so this calls libsodium directly. libsodium refuses
// non-canonical, small-order and non-main-subgroup points and an identity result; so do we (false).
// Sizes: secret key 64 bytes (seed || public key), public key 32, output 32.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public static unsafe class Ed25519Dh
{
    public const int SharedSecretSize = 32;

    /// <summary>DH(secretKey, remotePublicKey) into <paramref name="sharedSecret"/>; false for an unusable remote point.</summary>
    public static bool TryAgree(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> remotePublicKey, Span<byte> sharedSecret)
    {
        if (secretKey.Length < Ed25519.SeedSize) throw new ArgumentException("An Ed25519 secret key starts with its 32-byte seed.", nameof(secretKey));
        if (remotePublicKey.Length != Ed25519.PublicKeySize || sharedSecret.Length != SharedSecretSize) return false;
        Span<byte> scalar = stackalloc byte[SharedSecretSize];
        try
        {
            ClampedScalar(secretKey, scalar);
            Sodium.EnsureInitialized();
            fixed (byte* q = sharedSecret) fixed (byte* n = scalar) fixed (byte* p = remotePublicKey)
                return Sodium.crypto_scalarmult_ed25519_noclamp(q, n, p) == 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>The clamped scalar of an Ed25519 secret key (its first 32 bytes are the seed).</summary>
    public static void ClampedScalar(ReadOnlySpan<byte> secretKey, Span<byte> scalar)
    {
        Span<byte> h = stackalloc byte[64];
        SHA512.HashData(secretKey[..Ed25519.SeedSize], h);
        h[..32].CopyTo(scalar);
        CryptographicOperations.ZeroMemory(h);
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
    }
}
