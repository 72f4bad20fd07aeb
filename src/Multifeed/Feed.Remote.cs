// Storing blocks received from peers. Verification runs under the feed lock against the durable
// tree plus the pending overlay, so Data messages can be verified back to back without waiting for
// each commit; the returned task completes when the block is durable (that is when an ack may be
// sent). A block that fails verification is never stored, and nothing else about the feed changes.
// If the commit fails, the feed rolls back to what is on disk (Feed.Recovery.cs) and the task faults,
// so the block is requested again; Length, Contiguous and the downloaded count only ever report
// durable blocks.
//
// A writer downloads its own feed only when it lacks blocks it has signed (a damaged or restored
// store): those come back verified against its own public key, like any remote feed's.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed
{
    /// <summary>
    /// Verifies a remote block with its proof and signature, then stores it.
    /// Throws <see cref="ProofVerificationException"/> at once if it does not verify; otherwise the
    /// task completes when the block is durable. A block already held completes immediately.
    /// </summary>
    public Task VerifyAndStore(ulong index, ReadOnlyMemory<byte> value, IReadOnlyList<TreeNode> proof, ReadOnlyMemory<byte>? signature)
    {
        if (value.Length > MaxBlockSize) throw new ProofVerificationException($"Block {index} is {value.Length} bytes, over the {MaxBlockSize} limit.");
        lock (_lock)
        {
            ThrowIfRemoved();
            if (IsCompleteWriter && index < D.Length) return Task.CompletedTask; // ours, held
            if (_generator is { } g && g.Length > D.Length)
                throw new InvalidOperationException($"Block {index} of our own feed arrived while local appends are being committed.");
            _generator = null; // a writer being re-synced: its next append starts from the roots it has then
            var bits = DataBits();
            if (bits.Get(index)) return Task.CompletedTask;

            var result = ProofVerifier.Verify(Key, index, value, proof, signature, this, requireSignature: S.Length > 0);

            var copy = value.ToArray();
            var grows = result.VerifiedLength > S.Length;
            var length = grows ? result.VerifiedLength : S.Length;
            var byteLength = grows ? result.ByteLength : S.ByteLength;
            var roots = grows ? result.Roots.ToArray() : S.Roots;
            var headSignature = grows ? result.Signature : S.Signature;
            var oldLength = S.Length;

            bits.Set(index, true);
            var contiguous = S.Contiguous;
            if (index == contiguous) contiguous = bits.NextClear(contiguous) ?? bits.Length;
            // Blocks below `contiguous` are implied by the header, so a page is written only for a
            // block beyond it (a hole before it); an in-order download writes no bitfield pages.
            bits.ClearDirty();
            (ulong Index, byte[] Bytes)? page = null;
            if (index >= contiguous)
            {
                var pageIndex = index / bits.BitsPerPage;
                var bytes = new byte[bits.PageSize];
                bits.CopyBytes(pageIndex * (ulong)bits.PageSize, bytes);
                page = (pageIndex, bytes);
            }

            var pending = Pending;
            foreach (var n in result.NodesToStore) pending.Nodes[n.Index] = n;
            pending.Blocks[index] = copy;
            if (result.Signature is { } pendingSig && result.SignatureIndex is { } pendingSigIndex) pending.Signatures[pendingSigIndex] = pendingSig;
            var header = HeaderFor(length, byteLength, contiguous, headSignature, roots).Serialize();
            var nodes = result.NodesToStore;
            var sig = result.Signature;
            var sigIndex = result.SignatureIndex;

            // The working state is advanced now, so later verifications and proofs see it; the
            // durable state follows at commit. If the commit fails, both are what is on disk again.
            S.Advance(length, byteLength, contiguous, headSignature, roots);
            _pendingDownloads++;

            return _store.Enqueue(this, _epoch, tx =>
            {
                PutEntry(tx, _store.Blocks, index, copy);
                foreach (var n in nodes) PutEntry(tx, _store.Nodes, n.Index, EncodeNode(n));
                if (sig is not null && sigIndex is { } si) PutEntry(tx, _store.Signatures, si, sig);
                if (page is { } p) PutEntry(tx, _store.Bits, p.Index, p.Bytes);
                tx.Put(_store.Headers, StorageKeys.Feed(Number), header).ThrowOnError();
            }, () =>
            {
                lock (_lock)
                {
                    D.Advance(length, byteLength, contiguous, headSignature, roots);
                    _pendingDownloads--;
                    if (_pending is { } o)
                    {
                        foreach (var n in nodes) o.Nodes.Remove(n.Index);
                        o.Blocks.Remove(index);
                        if (sigIndex is { } si) o.Signatures.Remove(si);
                        TrimPending();
                    }
                    DropSatisfiedClaimsLocked();
                }
                RaiseDownloaded(index, copy.Length);
                if (grows) RaiseAppended(oldLength, length - oldLength, local: false);
            });
        }
    }
}
