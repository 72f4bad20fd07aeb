// A paged bitfield in hypercore's layout (spec/hypercore.md §3.1; sparse-bitfield 3.0.3): bit n lives in
// byte n >> 3 under mask 0x80 >> (n & 7), MSB first, the same in memory, on disk and on the wire, so
// pages and CopyBytes slices can be persisted or RLE-encoded without any bit shuffling.
// Used for the data bitfield (bit = block) and the tree bitfield (bit = flat-tree node).
// Memory: only pages holding a bit that was ever set are allocated (default 1 KiB = 8192 bits, which
// is hypercore's data page; 2048 matches its tree page), so bit 2^40 costs one page, not 128 GiB.
// Page indices are also kept sorted so NextSet can jump over unallocated gaps.
// Not thread-safe: the owner (a feed) serialises access.
using System.Numerics;

namespace Cabal.Multifeed.Hypercore;

public sealed class SparseBitfield
{
    private readonly Dictionary<ulong, byte[]> _pages = new();
    private readonly List<ulong> _sortedPages = new();
    private readonly HashSet<ulong> _dirty = new();
    private readonly int _pageShift;          // log2(page size in bytes)
    private ulong _lastIndex = ulong.MaxValue; // one-entry cache: sequential access hits the same page
    private byte[]? _lastPage;

    public SparseBitfield(int pageSize = 1024)
    {
        if (pageSize < 8 || (pageSize & (pageSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pageSize), "The page size must be a power of two, at least 8 bytes.");
        PageSize = pageSize;
        _pageShift = BitOperations.Log2((uint)pageSize);
    }

    /// <summary>Page size in bytes (a page covers 8 × PageSize bits).</summary>
    public int PageSize { get; }

    public ulong BitsPerPage => (ulong)PageSize * 8;

    /// <summary>
    /// Bits covered: 8 × (highest byte index that ever held a set bit + 1). Like sparse-bitfield's
    /// <c>length</c> it only grows (clearing bits does not shrink it), so every set bit is below it; use
    /// <see cref="LastSet"/> for the exact highest set bit.
    /// </summary>
    public ulong Length { get; private set; }

    public int PageCount => _pages.Count;

    /// <summary>Bytes held by page buffers (the memory cost of the bitfield, excluding bookkeeping).</summary>
    public long AllocatedBytes => (long)_pages.Count * PageSize;

    public bool Get(ulong bit)
    {
        var b = bit >> 3;
        var page = Page(b >> _pageShift, allocate: false);
        return page is not null && (page[(int)(b & (ulong)(PageSize - 1))] & (0x80 >> (int)(bit & 7))) != 0;
    }

    /// <summary>Sets or clears one bit; returns whether the bit changed.</summary>
    public bool Set(ulong bit, bool value)
    {
        var b = bit >> 3;
        var pageIndex = b >> _pageShift;
        var page = Page(pageIndex, allocate: value);
        if (page is null) return false; // clearing a bit on an absent page: already clear
        ref var cell = ref page[(int)(b & (ulong)(PageSize - 1))];
        var mask = (byte)(0x80 >> (int)(bit & 7));
        var next = value ? (byte)(cell | mask) : (byte)(cell & ~mask);
        if (next == cell) return false;
        cell = next;
        _dirty.Add(pageIndex);
        if (value) Grow(b);
        return true;
    }

    /// <summary>Sets or clears bits <paramref name="start"/> … <paramref name="start"/>+<paramref name="count"/>−1.</summary>
    public void SetRange(ulong start, ulong count, bool value)
    {
        if (count == 0) return;
        if (start + count < start) throw new ArgumentOutOfRangeException(nameof(count), "Range overflows.");
        var end = start + count;
        // Partial head and tail bytes bit by bit, whole bytes in between by page.
        while (start < end && (start & 7) != 0) Set(start++, value);
        while (end > start && (end & 7) != 0) Set(--end, value);
        var fill = value ? (byte)0xFF : (byte)0;
        var b = start >> 3;
        var bEnd = end >> 3;
        while (b < bEnd)
        {
            var pageIndex = b >> _pageShift;
            var offset = (int)(b & (ulong)(PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), bEnd - b);
            var page = Page(pageIndex, allocate: value);
            if (page is not null)
            {
                var span = page.AsSpan(offset, n);
                if (span.ContainsAnyExcept(fill))
                {
                    span.Fill(fill);
                    _dirty.Add(pageIndex);
                }
            }
            b += (ulong)n;
        }
        if (value && bEnd > 0) Grow(bEnd - 1);
    }

    public byte GetByte(ulong byteIndex)
    {
        var page = Page(byteIndex >> _pageShift, allocate: false);
        return page is null ? (byte)0 : page[(int)(byteIndex & (ulong)(PageSize - 1))];
    }

    /// <summary>Copies bytes starting at <paramref name="byteOffset"/>; unallocated ranges read as zero.</summary>
    public void CopyBytes(ulong byteOffset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var offset = (int)(byteOffset & (ulong)(PageSize - 1));
            var n = Math.Min(PageSize - offset, destination.Length);
            var page = Page(byteOffset >> _pageShift, allocate: false);
            if (page is null) destination[..n].Clear();
            else page.AsSpan(offset, n).CopyTo(destination);
            destination = destination[n..];
            byteOffset += (ulong)n;
        }
    }

    /// <summary>
    /// Overwrites bytes starting at <paramref name="byteOffset"/> (e.g. a decoded remote Have bitfield).
    /// Zero bytes over unallocated pages allocate nothing.
    /// </summary>
    public void SetBytes(ulong byteOffset, ReadOnlySpan<byte> source)
    {
        if ((ulong)source.Length > ulong.MaxValue - byteOffset) throw new ArgumentOutOfRangeException(nameof(byteOffset), "Range overflows.");
        while (!source.IsEmpty)
        {
            var pageIndex = byteOffset >> _pageShift;
            var offset = (int)(byteOffset & (ulong)(PageSize - 1));
            var n = Math.Min(PageSize - offset, source.Length);
            var chunk = source[..n];
            var last = chunk.LastIndexOfAnyExcept((byte)0);
            var page = Page(pageIndex, allocate: last >= 0);
            if (page is not null && !chunk.SequenceEqual(page.AsSpan(offset, n)))
            {
                chunk.CopyTo(page.AsSpan(offset));
                _dirty.Add(pageIndex);
            }
            if (last >= 0) Grow(byteOffset + (ulong)last);
            source = source[n..];
            byteOffset += (ulong)n;
        }
    }

    /// <summary>First set bit in [<paramref name="from"/>, <paramref name="end"/>), or null.</summary>
    public ulong? NextSet(ulong from, ulong end = ulong.MaxValue)
    {
        if (from >= end) return null;
        var i = _sortedPages.BinarySearch(from >> 3 >> _pageShift);
        if (i < 0) i = ~i;
        for (; i < _sortedPages.Count; i++)
        {
            var pageIndex = _sortedPages[i];
            var pageStartBit = pageIndex * BitsPerPage;
            if (pageStartBit >= end) return null;
            var startBit = Math.Max(from, pageStartBit);
            var found = ScanPage(_pages[pageIndex], pageStartBit, startBit, lookFor: true);
            if (found is { } f) return f < end ? f : null;
        }
        return null;
    }

    /// <summary>First clear bit in [<paramref name="from"/>, <paramref name="end"/>), or null.</summary>
    public ulong? NextClear(ulong from, ulong end = ulong.MaxValue)
    {
        var bit = from;
        while (bit < end)
        {
            var pageIndex = bit >> 3 >> _pageShift;
            var page = Page(pageIndex, allocate: false);
            if (page is null) return bit;
            var pageStartBit = pageIndex * BitsPerPage;
            if (ScanPage(page, pageStartBit, bit, lookFor: false) is { } f) return f < end ? f : null;
            var next = pageStartBit + BitsPerPage;
            if (next <= bit) return null; // last page of the ulong space
            bit = next;
        }
        return null;
    }

    /// <summary>The highest set bit, or null when no bit is set.</summary>
    public ulong? LastSet()
    {
        for (var i = _sortedPages.Count - 1; i >= 0; i--)
        {
            var page = _pages[_sortedPages[i]];
            var b = page.AsSpan().LastIndexOfAnyExcept((byte)0);
            if (b < 0) continue;
            var bitInByte = BitOperations.TrailingZeroCount((uint)page[b]);
            return _sortedPages[i] * BitsPerPage + (ulong)b * 8 + (ulong)(7 - bitInByte);
        }
        return null;
    }

    /// <summary>Number of set bits in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public ulong CountSet(ulong start, ulong end)
    {
        ulong total = 0;
        while (start < end && NextSet(start, end) is { } s)
        {
            // Count within the page of s only, then jump on, so sparse gaps cost nothing.
            var pageEnd = (s / BitsPerPage + 1) * BitsPerPage;
            var stop = pageEnd == 0 || pageEnd > end ? end : pageEnd;
            for (var bit = s; bit < stop;)
            {
                if ((bit & 7) == 0 && stop - bit >= 8)
                {
                    total += (ulong)BitOperations.PopCount(GetByte(bit >> 3));
                    bit += 8;
                }
                else
                {
                    if (Get(bit)) total++;
                    bit++;
                }
            }
            start = stop;
        }
        return total;
    }

    /// <summary>Pages modified since the last <see cref="ClearDirty"/>, ascending; the memory is the live page (persist it before mutating again).</summary>
    public IEnumerable<(ulong PageIndex, ReadOnlyMemory<byte> Page)> DirtyPages
    {
        get
        {
            var list = _dirty.ToList();
            list.Sort();
            foreach (var p in list) yield return (p, _pages[p]);
        }
    }

    /// <summary>Every allocated page, ascending (a page may be all zero after bits were cleared).</summary>
    public IEnumerable<(ulong PageIndex, ReadOnlyMemory<byte> Page)> Pages
    {
        get
        {
            foreach (var p in _sortedPages.ToArray()) yield return (p, _pages[p]);
        }
    }

    public bool HasDirtyPages => _dirty.Count > 0;

    public void ClearDirty() => _dirty.Clear();

    /// <summary>Restores a persisted page (not marked dirty). A short span is zero-extended; an all-zero one allocates nothing.</summary>
    public void LoadPage(ulong pageIndex, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > PageSize) throw new ArgumentException($"A page is at most {PageSize} bytes.", nameof(bytes));
        var last = bytes.LastIndexOfAnyExcept((byte)0);
        var page = Page(pageIndex, allocate: last >= 0);
        if (page is null) return;
        bytes.CopyTo(page);
        page.AsSpan(bytes.Length).Clear();
        if (last >= 0) Grow((pageIndex << _pageShift) + (ulong)last);
    }

    // Length counts bits, so a byte in the very last 2^61 range saturates instead of wrapping.
    private void Grow(ulong lastByte)
    {
        var bits = lastByte >= ulong.MaxValue >> 3 ? ulong.MaxValue : (lastByte + 1) << 3;
        if (bits > Length) Length = bits;
    }

    private byte[]? Page(ulong pageIndex, bool allocate)
    {
        if (pageIndex == _lastIndex) return _lastPage;
        if (!_pages.TryGetValue(pageIndex, out var page))
        {
            if (!allocate) return null;
            page = new byte[PageSize];
            _pages.Add(pageIndex, page);
            var i = _sortedPages.BinarySearch(pageIndex);
            _sortedPages.Insert(~i, pageIndex);
        }
        _lastIndex = pageIndex;
        _lastPage = page;
        return page;
    }

    // First bit equal to lookFor at or after startBit inside one page, using vectorised byte scans.
    private ulong? ScanPage(byte[] page, ulong pageStartBit, ulong startBit, bool lookFor)
    {
        var bitInPage = (int)(startBit - pageStartBit);
        var byteIndex = bitInPage >> 3;
        var skip = (byte)(lookFor ? 0x00 : 0xFF);
        // Mask off bits before startBit in the first byte, then look byte-wise.
        var first = lookFor ? page[byteIndex] : (byte)~page[byteIndex];
        first &= (byte)(0xFF >> (bitInPage & 7));
        if (first != 0) return pageStartBit + (ulong)byteIndex * 8 + (ulong)(BitOperations.LeadingZeroCount((uint)first) - 24);
        var rest = page.AsSpan(byteIndex + 1);
        var j = rest.IndexOfAnyExcept(skip);
        if (j < 0) return null;
        var v = lookFor ? rest[j] : (byte)~rest[j];
        return pageStartBit + (ulong)(byteIndex + 1 + j) * 8 + (ulong)(BitOperations.LeadingZeroCount((uint)v) - 24);
    }
}
