// Opening a cabal checks the feed store and the views against each other before anything is
// indexed or published. The feeds are the truth; the views are derived and can always be rebuilt.
//
// Identity: the local writer's secret key lives in its feed's header in the store, beside the log it
// signs. The views keep a copy, used for one thing only: when the store has lost the writer (a
// missing, emptied or restored data.mdb), the writer is restored from it instead of being replaced
// by a new identity, and recorded as signed up to the views' cursor for it, so it refuses to publish
// until a re-sync from peers has brought its published entries back. Publishing seq N a second time
// would fork the user's log for good; losing the key would lose the identity.
//
// Views ahead of the feeds (a cursor past what the store holds, a feed the store lacks, or views
// built for another identity) are wiped and re-indexed from the feeds, after the evidence they
// hold about our own feed has been recorded in the store.
using System.Buffers.Binary;
using Cabal.Chat.Keys;
using Cabal.Chat.Views;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    private static ReadOnlySpan<byte> IdentityKey => "identity"u8;

    /// <summary>The local writer, found, restored or created; and why the views must be rebuilt, if they must.</summary>
    private static async Task<(Feed Local, string? RebuildReason)> ReconcileAsync(FeedStore store, CabalUrl url, ViewStore views, CabalOptions options, ILogger logger, CancellationToken ct)
    {
        var group = url.Key;
        KeyPair? copied = null;
        ulong copiedIndexed = 0;
        using (var read = views.BeginRead())
        {
            var tx = read.Transaction;
            if (tx.Read(views.Meta, IdentityKey) is { Length: Ed25519.SecretKeySize } copy
                && Ed25519.KeyPairFromSeed(copy.AsSpan(0, 32)).PublicKey.AsSpan().SequenceEqual(copy.AsSpan(32)))
            {
                copied = new KeyPair(copy[32..], copy);
                copiedIndexed = Cursor(tx, views, copied.PublicKey);
            }
        }

        // The copy names the local feed: a direct lookup instead of a scan of every feed of the
        // cabal (milliseconds with thousands of feeds). Scan otherwise.
        var local = copied is not null && store.TryGet(copied.PublicKey) is { Writable: true, Name: LocalWriterName } known && known.Group.Span.SequenceEqual(group)
            ? known
            : store.List(group).FirstOrDefault(f => f.Writable && f.Name == LocalWriterName);
        if (local is null && copied is not null)
        {
            local = await store.RestoreWritableAsync(copied, copiedIndexed, LocalWriterName, group, ct).ConfigureAwait(false);
            ChatLog.IdentityRestored(logger, local.KeyHex, copiedIndexed);
        }
        local ??= await store.CreateWritableAsync(options.LocalKeyPair ?? Ed25519.NewKeyPair(), LocalWriterName, group, ct).ConfigureAwait(false);

        string? reason = null;
        ulong ownIndexed;
        using (var read = views.BeginRead())
        {
            var tx = read.Transaction;
            ownIndexed = Cursor(tx, views, local.Key);
            if (copied is not null && !copied.PublicKey.AsSpan().SequenceEqual(local.Key))
                reason = $"they were built for user {Convert.ToHexStringLower(copied.PublicKey)[..8]}, the local writer is {local.KeyHex[..8]}";
            reason ??= ViewsAhead(tx, views, store, group);
        }
        // Everything indexed of our own feed was published: the store must not hold less.
        if (ownIndexed > local.SignedLength)
        {
            ChatLog.LocalFeedBehind(logger, local.KeyHex, local.Contiguous, ownIndexed);
            await local.RecordSignedLengthAsync(ownIndexed, ct).ConfigureAwait(false);
        }
        return (local, reason);
    }

    private static ulong Cursor(LightningTransaction tx, ViewStore views, ReadOnlySpan<byte> feedKey)
        => tx.Read(views.Cursors, feedKey) is { Length: 8 } v ? BinaryPrimitives.ReadUInt64BigEndian(v) : 0;

    /// <summary>Why the views are ahead of the store (a cursor past what a feed holds, or a feed the store lacks), or null.</summary>
    private static string? ViewsAhead(LightningTransaction tx, ViewStore views, FeedStore store, ReadOnlyMemory<byte> group)
    {
        // One cursor pass over the cursors table, no copies: a warm open of a big cabal stays cheap.
        using var cursor = tx.CreateCursor(views.Cursors);
        var r = cursor.First().resultCode;
        for (; r == MDBResultCode.Success; r = cursor.Next().resultCode)
        {
            var (_, k, v) = cursor.GetCurrent();
            var key = k.AsSpan();
            var value = Lmdb.Verified(views.Cursors, key, v.AsSpan());
            if (key.Length != 32 || value.Length != 8) throw new ViewsDamagedException("a cursor record has the wrong size");
            var indexed = BinaryPrimitives.ReadUInt64BigEndian(value);
            var feed = store.TryGet(key);
            if (feed is null || !feed.Group.Span.SequenceEqual(group.Span))
                return $"they index feed {Convert.ToHexStringLower(key)[..8]}, which the feed store does not hold{(store.IsNew ? " (the store is new or was emptied)" : "")}";
            if (indexed > feed.Contiguous)
                return $"they index {indexed} entries of feed {feed.KeyHex[..8]}, the feed store holds {feed.Contiguous}";
        }
        if (r != MDBResultCode.NotFound) throw Lmdb.Failed(views.Cursors, r);
        return null;
    }

    /// <summary>Keeps the copy of the identity beside the views current (written only when it changed: a warm open commits nothing).</summary>
    private static void KeepIdentityCopy(LightningTransaction tx, ViewStore views, byte[] secret)
    {
        if (!(tx.Read(views.Meta, IdentityKey) is { } stored && stored.AsSpan().SequenceEqual(secret)))
            tx.Set(views.Meta, IdentityKey, secret);
    }
}
