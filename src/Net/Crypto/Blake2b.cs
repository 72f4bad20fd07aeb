// BLAKE2b (RFC 7693) through libsodium's crypto_generichash.
// Output sizes used by hypercore: 32 bytes (tree hashes, discovery keys, capabilities) and
// 64 bytes (the Noise hash). Keys, where given, are 16 to 64 bytes.
namespace Cabal.Net.Crypto;

public static unsafe class Blake2b
{
    public const int Hash256Size = 32;
    public const int Hash512Size = 64;

    /// <summary>Unkeyed or keyed BLAKE2b; the output length is <paramref name="output"/>.Length (16..64).</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> key = default)
    {
        Sodium.EnsureInitialized();
        fixed (byte* o = output)
        fixed (byte* i = input)
        fixed (byte* k = key)
        {
            if (Sodium.crypto_generichash(o, (nuint)output.Length, i, (ulong)input.Length, key.IsEmpty ? null : k, (nuint)key.Length) != 0)
                throw new ArgumentException("BLAKE2b rejected the output or key length.");
        }
    }

    public static byte[] Hash256(ReadOnlySpan<byte> input, ReadOnlySpan<byte> key = default)
    {
        var o = new byte[Hash256Size];
        Hash(input, o, key);
        return o;
    }
}

/// <summary>
/// Incremental BLAKE2b over several spans without concatenating them first. A ref struct holding
/// libsodium's state inline (aligned to 64 bytes as libsodium declares it).
/// </summary>
public unsafe ref struct Blake2bHasher
{
    internal const int StateBytes = 384; // crypto_generichash_statebytes(), checked in SodiumSizes.cs
    private fixed byte _buffer[StateBytes + 64];
    private readonly int _outLen;

    public Blake2bHasher(int outputLength, scoped ReadOnlySpan<byte> key = default)
    {
        Sodium.EnsureInitialized();
        _outLen = outputLength;
        fixed (byte* k = key)
        {
            if (Sodium.crypto_generichash_init(State, key.IsEmpty ? null : k, (nuint)key.Length, (nuint)outputLength) != 0)
                throw new ArgumentException("BLAKE2b rejected the output or key length.");
        }
    }

    private byte* State
    {
        get
        {
            fixed (byte* b = _buffer)
                return (byte*)(((nint)b + 63) & ~(nint)63);
        }
    }

    public void Update(scoped ReadOnlySpan<byte> data)
    {
        fixed (byte* d = data)
            Sodium.crypto_generichash_update(State, d, (ulong)data.Length);
    }

    public void Final(scoped Span<byte> output)
    {
        if (output.Length != _outLen) throw new ArgumentException("Output length differs from the one given at init.");
        fixed (byte* o = output)
            Sodium.crypto_generichash_final(State, o, (nuint)output.Length);
    }
}
