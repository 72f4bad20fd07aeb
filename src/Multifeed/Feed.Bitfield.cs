// The data bitfield (bit i = block i held). Blocks 0..Contiguous-1 are implied by the header, so
// a complete feed never touches the stored pages; remote feeds with holes persist their pages in
// the `bits` table. The in-memory bitfield is built on first use, not at open, so opening
// thousands of feeds stays one pass over the headers.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed
{
    private SparseBitfield? _dataBits; // guarded by _lock

    private SparseBitfield DataBits()
    {
        if (_dataBits is not null) return _dataBits;
        var bits = new SparseBitfield();
        // A complete writer has no pages (its blocks are all below Contiguous); one that lost blocks
        // and is being re-synced has them like a remote feed.
        var prefix = StorageKeys.Feed(Number);
        _store.Read(tx =>
        {
            using var cursor = tx.CreateCursor(_store.Bits);
            for (var r = cursor.SetRange(prefix); ; r = cursor.Next().resultCode)
            {
                if (r != MDBResultCode.Success) break;
                var (_, key, value) = cursor.GetCurrent();
                if (!key.AsSpan().StartsWith(prefix)) break;
                if (key.AsSpan().Length != StorageKeys.EntryKeySize) throw new StorageCorruptException($"Bitfield key of {key.AsSpan().Length} bytes.");
                bits.LoadPage(StorageKeys.ReadIndex(key.AsSpan()), value.AsSpan().Length <= bits.PageSize ? value.AsSpan() : throw new StorageCorruptException("Bitfield page too large."));
            }
            return 0;
        });
        // Durable blocks only: built on first use or after a rollback, when no download is queued
        // (a download sets its bit itself; a writer's queued appends are added at their commit).
        if (D.Contiguous > 0) bits.SetRange(0, D.Contiguous, true);
        bits.ClearDirty();
        return _dataBits = bits;
    }

    /// <summary>
    /// The bitfield-rle encoding of the data bits for blocks <paramref name="start"/> ..
    /// +<paramref name="count"/> (start a multiple of 8), as a Have reply to a Want carries it.
    /// </summary>
    public byte[] EncodeDataBits(ulong start, ulong count)
    {
        lock (_lock)
        {
            var bits = DataBits();
            // Our own appends are contiguous and in the bitfield as soon as they are queued; announce
            // only what is durable so a peer never requests a block we cannot serve yet.
            var limit = IsCompleteWriter ? D.Length : ulong.MaxValue;
            if (count == 0 && start == 0) count = Math.Min(bits.Length, limit);
            if (start >= limit) return [];
            return BitfieldRle.EncodeRange(bits, start, Math.Min(count, limit - start));
        }
    }

    /// <summary>Number of blocks held locally and durably (a block still queued for commit is not counted).</summary>
    public ulong DownloadedCount()
    {
        lock (_lock)
        {
            var d = D;
            if (d.Contiguous == d.Length && _pendingDownloads == 0 && (IsCompleteWriter || _dataBits is null)) return d.Length;
            var bits = DataBits();
            // Every queued download has its bit set already; none of them is on disk yet.
            return bits.CountSet(0, Math.Max(bits.Length, S.Length)) - (ulong)_pendingDownloads;
        }
    }
}
