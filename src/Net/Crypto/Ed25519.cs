// Ed25519 (RFC 8032), pure, as libsodium's crypto_sign_*: public key 32 bytes, signature 64 bytes.
// Secret keys are kept in libsodium's 64-byte form seed(32) || publicKey(32), which is also what
// hypercore writes to its secret_key file, so keys move between the stacks unchanged.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public static unsafe class Ed25519
{
    public const int PublicKeySize = 32;
    public const int SecretKeySize = 64;
    public const int SeedSize = 32;
    public const int SignatureSize = 64;

    public static KeyPair KeyPairFromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize) throw new ArgumentException($"An Ed25519 seed is {SeedSize} bytes, got {seed.Length}.", nameof(seed));
        Sodium.EnsureInitialized();
        var pk = new byte[PublicKeySize];
        var sk = new byte[SecretKeySize];
        fixed (byte* p = pk) fixed (byte* s = sk) fixed (byte* sd = seed)
            Sodium.crypto_sign_seed_keypair(p, s, sd);
        return new KeyPair(pk, sk);
    }

    public static KeyPair NewKeyPair()
    {
        Span<byte> seed = stackalloc byte[SeedSize];
        RandomNumberGenerator.Fill(seed);
        try { return KeyPairFromSeed(seed); }
        finally { CryptographicOperations.ZeroMemory(seed); }
    }

    public static void Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> secretKey, Span<byte> signature)
    {
        if (secretKey.Length != SecretKeySize) throw new ArgumentException($"An Ed25519 secret key is {SecretKeySize} bytes.", nameof(secretKey));
        if (signature.Length != SignatureSize) throw new ArgumentException($"An Ed25519 signature is {SignatureSize} bytes.", nameof(signature));
        Sodium.EnsureInitialized();
        fixed (byte* sig = signature) fixed (byte* m = message) fixed (byte* sk = secretKey)
            Sodium.crypto_sign_detached(sig, null, m, (ulong)message.Length, sk);
    }

    public static bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey)
    {
        if (signature.Length != SignatureSize || publicKey.Length != PublicKeySize) return false;
        Sodium.EnsureInitialized();
        fixed (byte* sig = signature) fixed (byte* m = message) fixed (byte* pk = publicKey)
            return Sodium.crypto_sign_verify_detached(sig, m, (ulong)message.Length, pk) == 0;
    }
}

/// <summary>An Ed25519 key pair; <see cref="SecretKey"/> is null for a read-only feed.</summary>
public sealed record KeyPair(byte[] PublicKey, byte[]? SecretKey);
