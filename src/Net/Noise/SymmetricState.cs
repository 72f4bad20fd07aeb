// Noise SymmetricState + CipherState for Noise_XX_25519_ChaChaPoly_BLAKE2b as noise-protocol 3.0.1
// implements it (spec/hypercore.md §6.2): HASHLEN 64, ck and h 64 bytes, k 32 bytes (the first half of
// an HKDF output), AEAD = IETF ChaCha20-Poly1305 with nonce 00000000 || u64le(n) and ad = h, 16-byte tag.
using System.Security.Cryptography;
using Cabal.Net.Crypto;

namespace Cabal.Net.Noise;

internal sealed unsafe class SymmetricState : IDisposable
{
    public const int HashLength = 64;
    public const int KeyLength = 32;
    public const int TagLength = 16;
    public const int NonceLength = 12; // ChaCha20-Poly1305 IETF: 4 zero bytes, then the 64-bit counter

    private readonly byte[] _ck = new byte[HashLength];
    private readonly byte[] _h = new byte[HashLength];
    private readonly byte[] _k = new byte[KeyLength];
    private bool _hasKey;
    private ulong _n;

    public SymmetricState(ReadOnlySpan<byte> protocolName)
    {
        Sodium.EnsureInitialized();
        // A name of at most HASHLEN bytes is zero-padded rather than hashed (ours is 33 bytes).
        if (protocolName.Length <= HashLength) protocolName.CopyTo(_h);
        else Blake2b.Hash(protocolName, _h);
        _h.CopyTo(_ck, 0);
    }

    public ReadOnlySpan<byte> HandshakeHash => _h;

    public void MixHash(ReadOnlySpan<byte> data)
    {
        var hasher = new Blake2bHasher(HashLength);
        hasher.Update(_h);
        hasher.Update(data);
        hasher.Final(_h);
    }

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> temp = stackalloc byte[HashLength];
        HmacBlake2b.Hkdf(_ck, inputKeyMaterial, _ck, temp);
        temp[..KeyLength].CopyTo(_k);
        CryptographicOperations.ZeroMemory(temp);
        _hasKey = true;
        _n = 0;
    }

    public int CiphertextLength(int plaintextLength) => plaintextLength + (_hasKey ? TagLength : 0);

    /// <summary>Encrypts (or copies, before the first MixKey) into <paramref name="output"/>; returns its length.</summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        var len = CiphertextLength(plaintext.Length);
        if (!_hasKey)
        {
            plaintext.CopyTo(output);
        }
        else
        {
            Span<byte> nonce = stackalloc byte[NonceLength];
            Nonce(nonce);
            ulong clen;
            fixed (byte* c = output) fixed (byte* m = plaintext) fixed (byte* ad = _h) fixed (byte* np = nonce) fixed (byte* k = _k)
            {
                if (Sodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, &clen, m, (ulong)plaintext.Length, ad, HashLength, null, np, k) != 0)
                    throw new NoiseHandshakeException("AEAD encryption failed.");
            }
            _n++;
        }
        MixHash(output[..len]);
        return len;
    }

    /// <summary>Decrypts into <paramref name="output"/>; returns the plaintext length. A bad tag throws.</summary>
    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        int len;
        if (!_hasKey)
        {
            ciphertext.CopyTo(output);
            len = ciphertext.Length;
        }
        else
        {
            if (ciphertext.Length < TagLength) throw new NoiseHandshakeException("Noise ciphertext is shorter than its tag.");
            Span<byte> nonce = stackalloc byte[NonceLength];
            Nonce(nonce);
            ulong mlen;
            fixed (byte* m = output) fixed (byte* c = ciphertext) fixed (byte* ad = _h) fixed (byte* np = nonce) fixed (byte* k = _k)
            {
                if (Sodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, &mlen, null, c, (ulong)ciphertext.Length, ad, HashLength, np, k) != 0)
                    throw new NoiseHandshakeException("Noise handshake message failed authentication.");
            }
            len = (int)mlen;
            _n++;
        }
        MixHash(ciphertext);
        return len;
    }

    /// <summary>Split: (k1, k2) = HKDF(ck, empty), each truncated to 32 bytes.</summary>
    public (byte[] K1, byte[] K2) Split()
    {
        Span<byte> o1 = stackalloc byte[HashLength];
        Span<byte> o2 = stackalloc byte[HashLength];
        HmacBlake2b.Hkdf(_ck, ReadOnlySpan<byte>.Empty, o1, o2);
        var result = (o1[..KeyLength].ToArray(), o2[..KeyLength].ToArray());
        CryptographicOperations.ZeroMemory(o1);
        CryptographicOperations.ZeroMemory(o2);
        return result;
    }

    private void Nonce(Span<byte> nonce)
    {
        nonce[..4].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _n);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_ck);
        CryptographicOperations.ZeroMemory(_k);
    }
}
