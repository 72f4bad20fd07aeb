// HMAC-BLAKE2b-512 (RFC 2104 over BLAKE2b, as npm hmac-blake2b 2.0.2) and the two-output HKDF of the
// Noise framework (noise-protocol 3.0.1 hash.js; spec/hypercore.md §6.2, check value in §6.3).
//   block size 128 bytes (BLAKE2b's, not the 64 of SHA-256 HMACs), output 64 bytes.
//   A key longer than the block is first hashed to 64 bytes; shorter keys are zero-padded.
// BLAKE2b has a native keyed mode, but Noise specifies HMAC, so the keyed mode must not be used here.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public static class HmacBlake2b
{
    public const int BlockSize = 128;
    public const int OutputSize = 64;

    /// <summary>HMAC(key, data) into <paramref name="output"/> (exactly 64 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output)
        => Compute(key, data, default, output);

    /// <summary>HMAC(key, data1 || data2), without concatenating: HKDF needs HMAC(t, o1 || 0x02).</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data1, ReadOnlySpan<byte> data2, Span<byte> output)
    {
        if (output.Length != OutputSize) throw new ArgumentException($"HMAC-BLAKE2b output is {OutputSize} bytes.", nameof(output));

        Span<byte> pad = stackalloc byte[BlockSize];
        Span<byte> inner = stackalloc byte[OutputSize];
        try
        {
            pad.Clear();
            if (key.Length > BlockSize) Blake2b.Hash(key, pad[..OutputSize]);
            else key.CopyTo(pad);

            for (var i = 0; i < BlockSize; i++) pad[i] ^= 0x36;
            var h = new Blake2bHasher(OutputSize);
            h.Update(pad);
            h.Update(data1);
            h.Update(data2);
            h.Final(inner);

            // (K ^ 0x36) ^ (0x36 ^ 0x5c) = K ^ 0x5c: turn the inner pad into the outer one in place.
            for (var i = 0; i < BlockSize; i++) pad[i] ^= 0x36 ^ 0x5c;
            var o = new Blake2bHasher(OutputSize);
            o.Update(pad);
            o.Update(inner);
            o.Final(output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pad);
            CryptographicOperations.ZeroMemory(inner);
        }
    }

    /// <summary>
    /// Noise HKDF with two outputs: t = HMAC(ck, ikm); o1 = HMAC(t, 0x01); o2 = HMAC(t, o1 || 0x02).
    /// Both outputs are 64 bytes; callers truncate to 32 where Noise says so. The outputs may alias
    /// <paramref name="chainingKey"/> (MixKey overwrites ck with o1), since t is computed first.
    /// </summary>
    public static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output1, Span<byte> output2)
    {
        if (output1.Length != OutputSize || output2.Length != OutputSize)
            throw new ArgumentException($"HKDF outputs are {OutputSize} bytes each.");

        Span<byte> temp = stackalloc byte[OutputSize];
        try
        {
            Compute(chainingKey, inputKeyMaterial, temp);
            Compute(temp, [0x01], output1);
            Compute(temp, output1, [0x02], output2);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(temp);
        }
    }
}
