// ssb private-box 0.3 (the npm package cabal-core uses for private messages), byte for byte:
//
//   nonce(24) || ephemeral X25519 pk(32) || n × secretbox([n] || K, nonce, X25519(e_sk, r_i)) (49 each)
//             || secretbox(plaintext, nonce, K)
//
// The raw X25519 output is the secretbox key (no hashing), exactly as the JS does. Decryption
// tries the first 8 recipient slots (max 7 recipients + 1, as the JS loop does) with our key.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public static unsafe class PrivateBox
{
    public const int MaxRecipients = 7;
    public const int NonceSize = 24;
    public const int KeySize = 32;
    public const int MacSize = 16;
    private const int HeaderSize = NonceSize + KeySize;     // nonce + ephemeral public key
    private const int SlotSize = 1 + KeySize + MacSize;      // boxed (count || body key)

    /// <summary>Size of the box for <paramref name="plaintextLength"/> bytes and <paramref name="recipients"/> recipients.</summary>
    public static int BoxSize(int plaintextLength, int recipients) => HeaderSize + recipients * SlotSize + MacSize + plaintextLength;

    /// <summary>Encrypts to 1..7 X25519 public keys.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, IReadOnlyList<byte[]> curveRecipients)
    {
        ArgumentNullException.ThrowIfNull(curveRecipients);
        if (curveRecipients.Count is 0 or > MaxRecipients)
            throw new ArgumentException($"private-box takes 1 to {MaxRecipients} recipients, got {curveRecipients.Count}.", nameof(curveRecipients));
        foreach (var r in curveRecipients)
            if (r is null || r.Length != KeySize) throw new ArgumentException("A recipient key is 32 bytes.", nameof(curveRecipients));
        Sodium.EnsureInitialized();

        var output = new byte[BoxSize(plaintext.Length, curveRecipients.Count)];
        Span<byte> bodyKeyWithCount = stackalloc byte[1 + KeySize];
        Span<byte> ephemeralSecret = stackalloc byte[KeySize];
        Span<byte> shared = stackalloc byte[KeySize];
        try
        {
            var nonce = output.AsSpan(0, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            bodyKeyWithCount[0] = (byte)curveRecipients.Count;
            RandomNumberGenerator.Fill(bodyKeyWithCount[1..]);
            RandomNumberGenerator.Fill(ephemeralSecret);

            fixed (byte* o = output) fixed (byte* esk = ephemeralSecret) fixed (byte* s = shared)
            fixed (byte* hk = bodyKeyWithCount) fixed (byte* p = plaintext)
            {
                if (Sodium.crypto_scalarmult_base(o + NonceSize, esk) != 0) throw new CryptographicException("X25519 base multiplication failed.");
                for (var i = 0; i < curveRecipients.Count; i++)
                {
                    fixed (byte* r = curveRecipients[i])
                    {
                        if (Sodium.crypto_scalarmult(s, esk, r) != 0) throw new CryptographicException($"Recipient {i} is not a usable X25519 key.");
                    }
                    Sodium.crypto_secretbox_easy(o + HeaderSize + i * SlotSize, hk, 1 + KeySize, o, s);
                }
                Sodium.crypto_secretbox_easy(o + HeaderSize + curveRecipients.Count * SlotSize, p, (ulong)plaintext.Length, o, hk + 1);
            }
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bodyKeyWithCount);
            CryptographicOperations.ZeroMemory(ephemeralSecret);
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>The plaintext, or null when the box is not addressed to <paramref name="curveSecretKey"/> or is damaged.</summary>
    public static byte[]? Decrypt(ReadOnlySpan<byte> box, ReadOnlySpan<byte> curveSecretKey)
    {
        if (curveSecretKey.Length != KeySize) throw new ArgumentException("An X25519 secret key is 32 bytes.", nameof(curveSecretKey));
        if (box.Length < HeaderSize + SlotSize + MacSize) return null;
        Sodium.EnsureInitialized();

        Span<byte> shared = stackalloc byte[KeySize];
        Span<byte> bodyKeyWithCount = stackalloc byte[1 + KeySize];
        try
        {
            fixed (byte* c = box) fixed (byte* sk = curveSecretKey) fixed (byte* s = shared) fixed (byte* hk = bodyKeyWithCount)
            {
                if (Sodium.crypto_scalarmult(s, sk, c + NonceSize) != 0) return null;
                var found = false;
                for (var i = 0; i <= MaxRecipients; i++)
                {
                    var offset = HeaderSize + SlotSize * i;
                    if (offset + SlotSize > box.Length - MacSize) return null;
                    if (Sodium.crypto_secretbox_open_easy(hk, c + offset, SlotSize, c, s) == 0) { found = true; break; }
                }
                if (!found) return null;

                var bodyOffset = HeaderSize + bodyKeyWithCount[0] * SlotSize;
                var bodyLength = box.Length - bodyOffset;
                if (bodyLength < MacSize) return null;
                var plaintext = new byte[bodyLength - MacSize];
                fixed (byte* p = plaintext)
                {
                    return Sodium.crypto_secretbox_open_easy(p, c + bodyOffset, (ulong)bodyLength, c, hk + 1) == 0 ? plaintext : null;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(bodyKeyWithCount);
        }
    }

    /// <summary>libsodium crypto_sign_ed25519_pk_to_curve25519; throws for a key that is not a valid Ed25519 point.</summary>
    public static byte[] Ed25519PublicKeyToCurve25519(ReadOnlySpan<byte> ed25519PublicKey)
    {
        if (ed25519PublicKey.Length != Ed25519.PublicKeySize) throw new ArgumentException("An Ed25519 public key is 32 bytes.", nameof(ed25519PublicKey));
        Sodium.EnsureInitialized();
        var curve = new byte[KeySize];
        fixed (byte* o = curve) fixed (byte* i = ed25519PublicKey)
        {
            if (Sodium.crypto_sign_ed25519_pk_to_curve25519(o, i) != 0)
                throw new CryptographicException("The key is not a valid Ed25519 public key.");
        }
        return curve;
    }

    /// <summary>libsodium crypto_sign_ed25519_sk_to_curve25519 for a 64-byte (seed || pk) secret key.</summary>
    public static byte[] Ed25519SecretKeyToCurve25519(ReadOnlySpan<byte> ed25519SecretKey)
    {
        if (ed25519SecretKey.Length != Ed25519.SecretKeySize) throw new ArgumentException("An Ed25519 secret key is 64 bytes.", nameof(ed25519SecretKey));
        Sodium.EnsureInitialized();
        var curve = new byte[KeySize];
        fixed (byte* o = curve) fixed (byte* i = ed25519SecretKey)
            Sodium.crypto_sign_ed25519_sk_to_curve25519(o, i);
        return curve;
    }

    /// <summary>cabal-core's lib/crypto box(): encrypts to Ed25519 public keys (user / feed keys).</summary>
    public static byte[] EncryptToEd25519(ReadOnlySpan<byte> plaintext, IReadOnlyList<byte[]> ed25519Recipients)
    {
        ArgumentNullException.ThrowIfNull(ed25519Recipients);
        var curve = new byte[ed25519Recipients.Count][];
        for (var i = 0; i < curve.Length; i++) curve[i] = Ed25519PublicKeyToCurve25519(ed25519Recipients[i]);
        return Encrypt(plaintext, curve);
    }

    /// <summary>cabal-core's lib/crypto unbox(): decrypts with a 64-byte Ed25519 secret key.</summary>
    public static byte[]? DecryptWithEd25519(ReadOnlySpan<byte> box, ReadOnlySpan<byte> ed25519SecretKey)
    {
        var curve = Ed25519SecretKeyToCurve25519(ed25519SecretKey);
        try { return Decrypt(box, curve); }
        finally { CryptographicOperations.ZeroMemory(curve); }
    }
}
