// Reads one feed of our FeedStore back as a LegacyFeed (for export): its tree nodes, signatures and
// blocks below its durable length, each table scanned once with a cursor in one read transaction.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using LightningDB;

namespace Cabal.Multifeed.Legacy.Internal;

internal static class StoredFeedReader
{
    public static LegacyFeed Read(FeedStore store, Feed feed, string slot, byte[]? secretKey, string? localName)
    {
        var length = feed.Length;
        var signature = feed.Signature;
        var roots = feed.Roots.ToArray();
        var nodes = new List<TreeNode>();
        var signatures = new List<(ulong, byte[])>();
        var blocks = new List<VerifiedBlock>();
        store.Read(tx =>
        {
            Scan(tx, store.Nodes, feed.Number, (i, v) => { if (length > 0 && FlatTree.RightSpan(i) < 2 * length) nodes.Add(Feed.DecodeNode(i, v)); });
            Scan(tx, store.Signatures, feed.Number, (i, v) => { if (i < length && v.Length == 64) signatures.Add((i, v.ToArray())); });
            Scan(tx, store.Blocks, feed.Number, (i, v) => { if (i < length) blocks.Add(new VerifiedBlock(i, v.ToArray())); });
            return 0;
        });
        // The header's signature is the one JS looks for (at length − 1); make sure it is there.
        if (signature is not null && length > 0 && !signatures.Any(s => s.Item1 == length - 1)) signatures.Add((length - 1, signature));
        signatures.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        ulong byteLength = 0;
        foreach (var r in roots) byteLength += r.Size;
        return new LegacyFeed
        {
            Slot = slot,
            PublicKey = feed.Key,
            SecretKey = secretKey,
            Name = localName,
            Length = length,
            TreeLength = length,
            ByteLength = byteLength,
            Signature = signature,
            Roots = roots,
            Nodes = nodes,
            Signatures = signatures,
            Blocks = blocks,
        };
    }

    private delegate void Entry(ulong index, ReadOnlySpan<byte> value);

    private static void Scan(LightningTransaction tx, LightningDatabase db, uint feed, Entry entry)
    {
        using var cursor = tx.CreateCursor(db);
        var prefix = StorageKeys.Feed(feed);
        for (var r = cursor.SetRange(prefix); r == MDBResultCode.Success; r = cursor.Next().resultCode)
        {
            var (_, key, value) = cursor.GetCurrent();
            var k = key.AsSpan();
            if (!k.StartsWith(prefix)) break;
            if (k.Length == StorageKeys.EntryKeySize) entry(StorageKeys.ReadIndex(k), value.AsSpan());
        }
    }
}
