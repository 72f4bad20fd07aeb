using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Cabal.Multifeed.Storage;

/// <summary>
/// A 32-byte feed public key as a dictionary key: compared by value, no hex string, no allocation.
/// Opening a store indexes thousands of feeds by key, so this stays on the cheap path.
/// </summary>
internal readonly struct FeedKey : IEquatable<FeedKey>
{
    private readonly ulong _a, _b, _c, _d;

    public FeedKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("A feed key is 32 bytes.", nameof(key));
        var words = MemoryMarshal.Cast<byte, ulong>(key);
        (_a, _b, _c, _d) = (words[0], words[1], words[2], words[3]);
    }

    public bool Equals(FeedKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is FeedKey k && Equals(k);

    // The key is a uniformly random public key: any 8 of its bytes already hash well.
    public override int GetHashCode() => (int)(_a ^ (_a >> 32));

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(b, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], _d);
        return Convert.ToHexStringLower(b);
    }
}
