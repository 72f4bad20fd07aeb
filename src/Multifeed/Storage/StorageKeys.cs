// Record keys. Every per-feed table is keyed by the feed's local number (u32, big-endian) followed
// by a big-endian u64, so one feed's records are contiguous and in index order for cursor scans
// and for range deletes when a feed is removed.
using System.Buffers.Binary;

namespace Cabal.Multifeed.Storage;

internal static class StorageKeys
{
    public const int FeedKeySize = 4;
    public const int EntryKeySize = 12;

    public static byte[] Feed(uint feed)
    {
        var k = new byte[FeedKeySize];
        BinaryPrimitives.WriteUInt32BigEndian(k, feed);
        return k;
    }

    public static void Entry(uint feed, ulong index, Span<byte> key)
    {
        BinaryPrimitives.WriteUInt32BigEndian(key, feed);
        BinaryPrimitives.WriteUInt64BigEndian(key[4..], index);
    }

    public static uint ReadFeed(ReadOnlySpan<byte> key)
    {
        if (key.Length < FeedKeySize) throw new StorageCorruptException($"A feed key of {key.Length} bytes.");
        return BinaryPrimitives.ReadUInt32BigEndian(key);
    }

    public static ulong ReadIndex(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt64BigEndian(key[4..]);
}
