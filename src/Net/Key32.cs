// A 32-byte key (feed key, discovery key, static public key) as a value. Tables keyed by it hash and
// compare the bytes themselves, so a lookup costs no hex string. The hash is HashCode's, seeded per
// process: a remote that picks the discovery keys it opens cannot aim them at one bucket.
using System.Buffers.Binary;

namespace Cabal.Net;

public readonly struct Key32 : IEquatable<Key32>
{
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    /// <summary>The key in <paramref name="bytes"/>, which must be exactly 32 bytes.</summary>
    public Key32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"A key is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    public bool Equals(Key32 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is Key32 other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(Key32 left, Key32 right) => left.Equals(right);

    public static bool operator !=(Key32 left, Key32 right) => !left.Equals(right);

    /// <summary>The 64 lowercase hex characters (what logs show).</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
