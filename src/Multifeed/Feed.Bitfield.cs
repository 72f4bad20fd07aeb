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
        if (!Writable)
        {
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
        }
        if (S.Contiguous > 0) bits.SetRange(0, S.Contiguous, true);
        if (_pending is { } o) foreach (var i in o.Blocks.Keys) bits.Set(i, true);
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
            var limit = Writable ? S.Length : ulong.MaxValue;
            if (count == 0 && start == 0) count = Math.Min(bits.Length, limit);
            if (start >= limit) return [];
            return BitfieldRle.EncodeRange(bits, start, Math.Min(count, limit - start));
        }
    }

    /// <summary>Number of blocks held locally.</summary>
    public ulong DownloadedCount()
    {
        lock (_lock)
        {
            if (S.Contiguous == S.Length && (_pending?.Blocks.Count ?? 0) == 0 && (Writable || _dataBits is null)) return S.Length;
            var bits = DataBits();
            return bits.CountSet(0, Math.Max(bits.Length, S.Length));
        }
    }
}
