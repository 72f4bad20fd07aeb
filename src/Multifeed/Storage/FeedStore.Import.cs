// Bulk storage of verified feeds (for importers). One call is one write operation: every feed of the
// batch is stored whole or, if the commit fails, not at all (the operation runs in its own nested
// transaction of the group commit). Feeds are matched by key: new ones are created, existing ones get
// only what they lack, so storing the same content again writes nothing.
using System.Buffers.Binary;
using Cabal.Multifeed.Hypercore;
using Cabal.Net.Crypto;
using LightningDB;

namespace Cabal.Multifeed.Storage;

public sealed partial class FeedStore
{
    /// <summary>
    /// Stores feeds whose content the caller has verified (see <see cref="VerifiedFeedData"/>) in one
    /// transaction. Arguments are checked before anything changes. A feed whose content disagrees with
    /// what the store holds (a forked writer, another cabal) is refused and reported; the others are
    /// stored. The task completes when everything is durable.
    /// </summary>
    public async Task<IReadOnlyList<VerifiedFeedStored>> StoreVerifiedAsync(IReadOnlyList<VerifiedFeedData> feeds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        var keys = new HashSet<FeedKey>();
        foreach (var f in feeds)
        {
            ValidateVerified(f);
            if (!keys.Add(new FeedKey(f.PublicKey))) throw new ArgumentException($"Feed {Convert.ToHexStringLower(f.PublicKey)} appears twice in one batch.", nameof(feeds));
        }
        cancellationToken.ThrowIfCancellationRequested();

        var targets = new Feed[feeds.Count];
        var created = new List<Feed>();
        lock (_addLock)
        {
            for (var i = 0; i < feeds.Count; i++)
            {
                var f = feeds[i];
                if (_byKey.TryGetValue(new FeedKey(f.PublicKey), out var existing)) { targets[i] = existing; continue; }
                var feed = new Feed(this, _nextFeed++, new FeedHeader { PublicKey = f.PublicKey.ToArray(), SecretKey = f.SecretKey?.ToArray(), Group = f.Group.ToArray(), Name = f.Name });
                Register(feed);
                created.Add(feed);
                targets[i] = feed;
            }
        }

        var newFeeds = created.ToHashSet();
        var results = new VerifiedFeedStored[feeds.Count];
        var plans = new List<Feed.ImportPlan>(feeds.Count);
        var planIsNew = new List<bool>(feeds.Count);
        var refusedNew = new List<Feed>();
        for (var i = 0; i < feeds.Count; i++)
        {
            var isNew = newFeeds.Contains(targets[i]);
            var plan = targets[i].PlanImport(feeds[i], isNew, out var refused);
            if (refused is not null)
            {
                if (isNew) refusedNew.Add(targets[i]);
                results[i] = new VerifiedFeedStored(null, false, 0, 0, refused);
                continue;
            }
            if (plan is not null) { plans.Add(plan); planIsNew.Add(isNew); }
            results[i] = new VerifiedFeedStored(targets[i], isNew, plan?.NewBlocks ?? 0, plan?.NewBytes ?? 0, null);
        }
        foreach (var f in refusedNew) { Unregister(f); created.Remove(f); }
        if (plans.Count == 0) return results;

        try
        {
            await Enqueue(tx =>
            {
                foreach (var feed in created) tx.Put(Keys, feed.Key, StorageKeys.Feed(feed.Number)).ThrowOnError();
                if (created.Count > 0)
                {
                    var next = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(next, created.Max(f => f.Number) + 1);
                    tx.Put(Meta, NextFeedKey, next).ThrowOnError();
                }
                // New feeds have the highest numbers, so their records can be appended to each table,
                // unless something already stored sorts after them (a feed added meanwhile).
                var append = created.Count > 0 && (LastStoredFeed(tx) is not { } last || last < created[0].Number);
                for (var i = 0; i < plans.Count; i++) plans[i].Apply(tx, append && planIsNew[i]);
            }, () =>
            {
                foreach (var feed in created) RaiseFeedAdded(feed);
                foreach (var plan in plans) plan.Committed();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var plan in plans) plan.RolledBack();
            foreach (var feed in created) Unregister(feed);
            throw;
        }
        return results;
    }

    // The highest feed number with records in the blocks, nodes or signatures table, if any.
    private uint? LastStoredFeed(LightningTransaction tx)
    {
        uint? last = null;
        foreach (var db in new[] { Blocks, Nodes, Signatures })
        {
            using var cursor = tx.CreateCursor(db);
            var (rc, key, _) = cursor.Last();
            if (rc == MDBResultCode.Success && key.AsSpan().Length >= StorageKeys.FeedKeySize)
                last = Math.Max(last ?? 0, StorageKeys.ReadFeed(key.AsSpan()));
        }
        return last;
    }

    private static void ValidateVerified(VerifiedFeedData f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var name = f.PublicKey is { Length: Ed25519.PublicKeySize } ? Convert.ToHexStringLower(f.PublicKey)[..12] : "?";
        if (f.PublicKey is not { Length: Ed25519.PublicKeySize }) throw new ArgumentException($"A feed key is {Ed25519.PublicKeySize} bytes.", nameof(f));
        if (f.Group.Length > 255) throw new ArgumentException($"Feed {name}: a group is at most 255 bytes.", nameof(f));
        if (f.Length > TreeIndex.MaxBlockIndex) throw new ArgumentException($"Feed {name}: length {f.Length} is too large.", nameof(f));
        if (!FlatTree.FullRoots(2 * f.Length).SequenceEqual(f.Roots.Select(r => r.Index)))
            throw new ArgumentException($"Feed {name}: the roots are not fullRoots(2 × {f.Length}).", nameof(f));
        if (f.Length > 0 && f.Signature is not { Length: Ed25519.SignatureSize })
            throw new ArgumentException($"Feed {name}: a non-empty feed needs its {Ed25519.SignatureSize}-byte signature.", nameof(f));
        ulong next = 0;
        foreach (var b in f.Blocks)
        {
            if (b.Index < next || b.Index >= f.Length) throw new ArgumentException($"Feed {name}: blocks must be ascending, distinct and below the length.", nameof(f));
            next = b.Index + 1;
        }
        foreach (var (i, sig) in f.Signatures)
            if (i >= f.Length || sig is not { Length: Ed25519.SignatureSize }) throw new ArgumentException($"Feed {name}: signature {i} is out of range or malformed.", nameof(f));
        if (f.SecretKey is { } sk)
        {
            if (sk.Length != Ed25519.SecretKeySize || !sk.AsSpan(32).SequenceEqual(f.PublicKey))
                throw new ArgumentException($"Feed {name}: the secret key does not belong to the feed key.", nameof(f));
            if ((ulong)f.Blocks.Count != f.Length)
                throw new ArgumentException($"Feed {name}: a writable feed must come with every block.", nameof(f));
        }
    }

    private void Unregister(Feed feed)
    {
        _byNumber.TryRemove(feed.Number, out _);
        _byKey.TryRemove(new FeedKey(feed.Key), out _);
        Volatile.Read(ref _byDiscoveryKey)?.TryRemove(Convert.ToHexStringLower(feed.DiscoveryKey), out _);
        feed.MarkRemoved();
    }
}
