// Storing already-verified content in bulk (an importer's entry point; FeedStore.StoreVerifiedAsync
// drives it). Same model as VerifyAndStore: under the feed lock, work out what is new against the
// durable state plus the pending overlay, advance the in-memory state at once and park the new
// entries in the overlay, and return the writes for the store to commit. Only what is new is written,
// so storing the same content twice writes nothing. A node that differs from one we hold means the
// writer forked its feed: nothing of that feed is stored.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed
{
    /// <summary>The writes for one feed, and what to do once they are durable or rolled back.</summary>
    internal sealed class ImportPlan
    {
        /// <summary>Writes the feed's records; with <c>append</c> its keys sort after every key in the tables (MDB_APPEND).</summary>
        public required Action<LightningTransaction, bool> Apply { get; init; }
        public required Action Committed { get; init; }
        public required Action RolledBack { get; init; }
        public ulong NewBlocks { get; init; }
        public ulong NewBytes { get; init; }
    }

    /// <summary>
    /// Plans storing <paramref name="data"/> (already verified by the caller). Null when there is
    /// nothing new, or when <paramref name="refused"/> says why the content cannot be taken.
    /// </summary>
    internal ImportPlan? PlanImport(VerifiedFeedData data, bool created, out string? refused)
    {
        lock (_lock)
        {
            ThrowIfRemoved();
            refused = null;
            if (!Group.Span.SequenceEqual(data.Group.Span)) { refused = "the store holds this feed under another cabal"; return null; }
            if (Writable && _pending is not null) { refused = "local appends to this feed are in flight"; return null; }
            if (!created && IsAlreadyHeld(data)) return null;

            var nodes = new List<TreeNode>(created ? data.Nodes.Count : 0);
            foreach (var n in data.Nodes)
            {
                if (!created && TryGetNode(n.Index, out var held))
                {
                    if (held.Size != n.Size || !held.Hash.AsSpan().SequenceEqual(n.Hash)) { refused = $"tree node {n.Index} differs from the one stored: the writer has forked this feed"; return null; }
                    continue;
                }
                nodes.Add(n);
            }
            // A feed this call created has no records to load the bitfield from.
            if (created) _dataBits ??= new SparseBitfield();
            var bits = DataBits();
            var blocks = new List<VerifiedBlock>(created ? data.Blocks.Count : 0);
            ulong newBytes = 0;
            foreach (var b in data.Blocks)
            {
                if (bits.Get(b.Index) || (_pending?.Blocks.ContainsKey(b.Index) ?? false)) continue;
                blocks.Add(b);
                newBytes += (ulong)b.Data.Length;
            }
            var signatures = data.Signatures.Where(s => created || GetSignature(s.Index) is null).ToList();

            var oldLength = S.Length;
            var grows = data.Length > S.Length;
            if (!grows && nodes.Count == 0 && blocks.Count == 0 && signatures.Count == 0 && !created) return null;

            var before = (S.Length, S.ByteLength, S.Contiguous, S.Signature, S.Roots);
            foreach (var b in blocks) bits.Set(b.Index, true);
            var contiguous = S.Contiguous;
            if (bits.Get(contiguous)) contiguous = bits.NextClear(contiguous) ?? bits.Length;
            var length = grows ? data.Length : S.Length;
            if (Writable && contiguous < length) { Undo(bits, blocks, before); refused = "a writable feed cannot have missing blocks"; return null; }

            // Bitfield pages only beyond the contiguous run (below it the header implies them), as VerifyAndStore does.
            var pages = new SortedDictionary<ulong, byte[]>();
            if (!Writable)
            {
                foreach (var b in blocks)
                {
                    if (b.Index < contiguous) continue;
                    var p = b.Index / bits.BitsPerPage;
                    if (pages.ContainsKey(p)) continue;
                    var page = new byte[bits.PageSize];
                    bits.CopyBytes(p * (ulong)bits.PageSize, page);
                    pages[p] = page;
                }
            }
            bits.ClearDirty();

            S.Length = length;
            S.ByteLength = grows ? data.ByteLength : S.ByteLength;
            S.Contiguous = contiguous;
            S.Signature = grows ? data.Signature : S.Signature;
            S.Roots = grows ? data.Roots : S.Roots;
            if (Writable) _generator = null; // the next append starts from the new roots
            var pending = Pending;
            foreach (var n in nodes) pending.Nodes[n.Index] = n;
            foreach (var b in blocks) pending.Blocks[b.Index] = b.Data;
            foreach (var (i, sig) in signatures) pending.Signatures[i] = sig;
            var header = HeaderFor(S.Length, S.ByteLength, S.Contiguous, S.Signature, S.Roots).Serialize();

            void DropFromPending()
            {
                if (_pending is not { } o) return;
                foreach (var n in nodes) o.Nodes.Remove(n.Index);
                foreach (var b in blocks) o.Blocks.Remove(b.Index);
                foreach (var (i, _) in signatures) o.Signatures.Remove(i);
                TrimPending();
            }

            return new ImportPlan
            {
                NewBlocks = (ulong)blocks.Count,
                NewBytes = newBytes,
                Apply = (tx, append) => WriteImport(tx, append, nodes, blocks, signatures, pages, header),
                Committed = () =>
                {
                    lock (_lock) DropFromPending();
                    foreach (var b in blocks)
                        if (b.Index < oldLength) RaiseDownloaded(b.Index, b.Data.Length);
                    if (length > oldLength) RaiseAppended(oldLength, length - oldLength);
                },
                RolledBack = () =>
                {
                    lock (_lock)
                    {
                        (S.Length, S.ByteLength, S.Contiguous, S.Signature, S.Roots) = before;
                        DropFromPending();
                        _dataBits = null; // rebuilt from what is durable on next use
                        _generator = null;
                    }
                },
            };
        }
    }

    // A complete feed whose roots for the given length are the ones we hold already has all of it:
    // the roots fix every node and block below them.
    private bool IsAlreadyHeld(VerifiedFeedData data)
    {
        if (data.Length > S.Length || S.Contiguous < data.Length) return false;
        foreach (var r in data.Roots)
            if (!TryGetNode(r.Index, out var held) || held.Size != r.Size || !held.Hash.AsSpan().SequenceEqual(r.Hash)) return false;
        foreach (var b in data.Blocks)
            if (b.Index >= S.Contiguous) return false;
        return true;
    }

    private void Undo(SparseBitfield bits, List<VerifiedBlock> blocks, (ulong, ulong, ulong, byte[]?, TreeNode[]) before)
    {
        foreach (var b in blocks) bits.Set(b.Index, false);
        bits.ClearDirty();
        (S.Length, S.ByteLength, S.Contiguous, S.Signature, S.Roots) = before;
    }

    private void WriteImport(LightningTransaction tx, bool append, List<TreeNode> nodes, List<VerifiedBlock> blocks, List<(ulong Index, byte[] Signature)> signatures,
        SortedDictionary<ulong, byte[]> pages, byte[] header)
    {
        // Appending skips LMDB's search for the insert position: a new feed's keys, in index order.
        var put = append ? PutOptions.AppendData : PutOptions.None;
        Span<byte> key = stackalloc byte[StorageKeys.EntryKeySize];
        Span<byte> node = stackalloc byte[40];
        foreach (var b in blocks)
        {
            StorageKeys.Entry(Number, b.Index, key);
            tx.Put(_store.Blocks, key, b.Data.Span, put).ThrowOnError();
        }
        foreach (var n in nodes)
        {
            StorageKeys.Entry(Number, n.Index, key);
            n.Hash.CopyTo(node);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(node[32..], n.Size);
            tx.Put(_store.Nodes, key, node, put).ThrowOnError();
        }
        foreach (var (i, sig) in signatures)
        {
            StorageKeys.Entry(Number, i, key);
            tx.Put(_store.Signatures, key, sig, put).ThrowOnError();
        }
        foreach (var (p, page) in pages)
        {
            StorageKeys.Entry(Number, p, key);
            tx.Put(_store.Bits, key, page).ThrowOnError();
        }
        tx.Put(_store.Headers, StorageKeys.Feed(Number), header).ThrowOnError();
    }
}

public sealed partial class Feed
{
    // SEAM(identity, issue 19): the exporter needs the local writer's secret key to write `secret_key`.
    // Today the feed header holds it; branch fork2 moves where it lives, and this accessor (or the
    // exporter's LocalSecretKey option) is where that is reconnected.
    internal byte[]? SecretKeyForExport { get { lock (_lock) return S.SecretKey; } }
}
