// Local appends. One signature per batch, over the tree hash and the new length, stored at the
// batch's last index (hypercore 9). Hashing and signing happen under the feed lock so batches are
// ordered; the write itself is queued to the store's group commit.
//
// Never fork: a signed log is permanent, and peers that saw one block N refuse any other. So an
// append is refused unless the writer holds every block it has ever signed: its header records
// the longest length signed (written in the same commit as each append), and evidence from
// elsewhere (the views, a peer holding more of our log) can raise it. A writer below that is
// re-synced from peers first; they hold the signed log, so that is always safe.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed
{
    /// <summary>Largest block hypercore-protocol can carry (8 MiB frame limit).</summary>
    public const int MaxBlockSize = 8 * 1024 * 1024 - 1024;

    private MerkleGenerator? _generator; // includes appends not yet committed

    /// <summary>Appends one block; returns its index once it is durable.</summary>
    public Task<ulong> AppendAsync(ReadOnlyMemory<byte> block, CancellationToken cancellationToken = default)
        => AppendBatchAsync([block], cancellationToken);

    /// <summary>
    /// Appends blocks as one batch with one signature; returns the first index once all are durable.
    /// Cancellation is honoured only before the batch is queued: after that it will be written.
    /// </summary>
    public async Task<ulong> AppendBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> blocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (!Writable) throw new FeedNotWritableException(KeyHex);
        if (blocks.Count == 0) return Length;
        foreach (var b in blocks)
            if (b.Length > MaxBlockSize) throw new ArgumentException($"A block is at most {MaxBlockSize} bytes, got {b.Length}.", nameof(blocks));
        cancellationToken.ThrowIfCancellationRequested();

        Task commit;
        ulong start;
        lock (_lock)
        {
            ThrowIfRemoved();
            ThrowIfCannotAppend();
            _generator ??= new MerkleGenerator(S.Roots);
            start = _generator.Length;
            var created = new List<TreeNode>(blocks.Count * 2);
            var copies = new byte[blocks.Count][];
            for (var i = 0; i < blocks.Count; i++)
            {
                copies[i] = blocks[i].ToArray(); // the caller may reuse its buffers
                _generator.Append(copies[i], created);
            }
            var length = _generator.Length;
            var byteLength = _generator.ByteLength;
            var roots = _generator.Roots.ToArray();
            var signature = new byte[Ed25519.SignatureSize];
            Ed25519.Sign(MerkleHash.Signable(roots, length), S.SecretKey, signature);

            var pending = Pending;
            foreach (var n in created) pending.Nodes[n.Index] = n;
            for (var i = 0; i < copies.Length; i++) pending.Blocks[start + (ulong)i] = copies[i];
            var header = HeaderFor(length, byteLength, length, signature, roots).Serialize();

            commit = _store.Enqueue(this, _epoch, tx =>
            {
                CheckStoredLength(tx, start); // another process on the same store may have appended
                for (var i = 0; i < copies.Length; i++) PutEntry(tx, _store.Blocks, start + (ulong)i, copies[i]);
                foreach (var n in created) PutEntry(tx, _store.Nodes, n.Index, EncodeNode(n));
                PutEntry(tx, _store.Signatures, length - 1, signature);
                tx.Put(_store.Headers, StorageKeys.Feed(Number), header).ThrowOnError();
            }, () =>
            {
                lock (_lock)
                {
                    S.Advance(length, byteLength, length, signature, roots);
                    D.Advance(length, byteLength, length, signature, roots);
                    _dataBits?.SetRange(start, (ulong)copies.Length, true);
                    if (_pending is { } o)
                    {
                        foreach (var n in created) o.Nodes.Remove(n.Index);
                        for (var i = 0; i < copies.Length; i++) o.Blocks.Remove(start + (ulong)i);
                        TrimPending();
                    }
                }
                RaiseAppended(start, (ulong)copies.Length, local: true);
            });
        }
        // A batch that never reached disk is forgotten by the rollback (Feed.Recovery.cs), with
        // every batch queued after it: later appends build on durable state only.
        await commit.ConfigureAwait(false);
        return start;
    }

    /// <summary>
    /// Whether an append would be accepted now: this store holds the secret key and every block the
    /// feed has ever been signed for, none is still being downloaded, and no peer holds more of it.
    /// </summary>
    public bool CanAppend { get { lock (_lock) return AppendBlocker() is null; } }

    // Why an append would fork the log (or be impossible), or null. Call under _lock.
    private string? AppendBlocker()
    {
        var d = D;
        if (d.SecretKey is null) return "this store has no secret key for it";
        var claim = _claims is null ? 0 : _claims.Values.Max();
        var signed = Math.Max(d.SignedLength, claim);
        if (d.Contiguous < signed || _pendingDownloads > 0 || d.Contiguous < d.Length)
            return claim > d.SignedLength
                ? $"a peer holds {claim} blocks of it, this store {d.Contiguous}"
                : $"it was signed up to {signed} blocks, but this store holds {d.Contiguous}";
        return null;
    }

    private void ThrowIfCannotAppend()
    {
        if (D.SecretKey is null) throw new FeedNotWritableException(KeyHex);
        if (AppendBlocker() is { } why) throw new FeedRecoveryRequiredException(KeyHex, D.Contiguous, Math.Max(D.SignedLength, _claims?.Values.Max() ?? 0), why);
    }

    private void RaiseAppended(ulong start, ulong count, bool local)
    {
        var args = new FeedAppendedEventArgs(start, count, local);
        try { Appended?.Invoke(this, args); }
        catch (Exception e) { StorageLog.HandlerFailed(_store.Logger, e); }
        _store.RaiseFeedAppended(this, args);
    }

    private void RaiseDownloaded(ulong index, int size)
    {
        var args = new FeedDownloadedEventArgs(index, size);
        try { Downloaded?.Invoke(this, args); }
        catch (Exception e) { StorageLog.HandlerFailed(_store.Logger, e); }
        _store.RaiseFeedDownloaded(this, args);
    }
}
