// A paged bitfield in hypercore's layout (spec/hypercore.md §3.1; sparse-bitfield 3.0.3): bit n lives in
// byte n >> 3 under mask 0x80 >> (n & 7), MSB first, the same in memory, on disk and on the wire, so
// pages and CopyBytes slices can be persisted or RLE-encoded without any bit shuffling.
// Used for the data bitfield (bit = block) and the tree bitfield (bit = flat-tree node).
// Memory: only pages holding a bit that was ever set are allocated (default 1 KiB = 8192 bits, which
// is hypercore's data page; 2048 matches its tree page), so bit 2^40 costs one page, not 128 GiB.
// Why pages grow and the index is two arrays: a client holds three bitfields for each of 10,000+
// feeds, most of them a few dozen blocks long. A full 1 KiB page, a dictionary and a hash set each
// made that about 1.5 KB per bitfield, all of it for the garbage collector to walk; a page now starts
// at 16 bytes and doubles up to the page size as higher bytes are written (bytes past its end read as
// zero), and the sorted page indices double as the lookup table (binary search, with a one-slot cache
// for sequential access). A bitfield with one short page costs under 200 bytes.
// Not thread-safe: the owner (a feed) serialises access.
using System.Numerics;

namespace Cabal.Multifeed.Hypercore;

public sealed class SparseBitfield
{
    private const int MinPageBytes = 16;
    private const ulong NoPage = ulong.MaxValue; // page indices stay below 2^61, so this is never one

    private readonly int _pageShift;          // log2(page size in bytes)
    private ulong[] _indices = [];            // allocated page indices, ascending; parallel to _pages
    private byte[][] _pages = [];             // each 16 bytes .. PageSize, grown on demand
    private int _count;
    private long _allocated;                  // sum of the pages' lengths, kept as they are allocated and grown
    private int _last = -1;                   // slot of the last page found
    private ulong _dirtyOne = NoPage;         // the usual case: one page modified since ClearDirty
    private HashSet<ulong>? _dirtyMore;       // further dirty pages, only when there are some

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

    public int PageCount => _count;

    /// <summary>Bytes held by page buffers (the memory cost of the bitfield, excluding bookkeeping).</summary>
    public long AllocatedBytes => _allocated;

    public bool Get(ulong bit)
    {
        var b = bit >> 3;
        var page = Existing(b >> _pageShift);
        var offset = (int)(b & (ulong)(PageSize - 1));
        return page is not null && offset < page.Length && (page[offset] & (0x80 >> (int)(bit & 7))) != 0;
    }

    /// <summary>Sets or clears one bit; returns whether the bit changed.</summary>
    public bool Set(ulong bit, bool value)
    {
        var b = bit >> 3;
        var pageIndex = b >> _pageShift;
        var offset = (int)(b & (ulong)(PageSize - 1));
        var page = value ? Writable(pageIndex, offset) : Existing(pageIndex);
        if (page is null || offset >= page.Length) return false; // clearing where nothing was set
        ref var cell = ref page[offset];
        var mask = (byte)(0x80 >> (int)(bit & 7));
        var next = value ? (byte)(cell | mask) : (byte)(cell & ~mask);
        if (next == cell) return false;
        cell = next;
        MarkDirty(pageIndex);
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
            var page = value ? Writable(pageIndex, offset + n - 1) : Existing(pageIndex);
            if (page is not null && offset < page.Length)
            {
                var span = page.AsSpan(offset, Math.Min(n, page.Length - offset));
                if (span.ContainsAnyExcept(fill))
                {
                    span.Fill(fill);
                    MarkDirty(pageIndex);
                }
            }
            b += (ulong)n;
        }
        if (value && bEnd > 0) Grow(bEnd - 1);
    }

    public byte GetByte(ulong byteIndex)
    {
        var page = Existing(byteIndex >> _pageShift);
        var offset = (int)(byteIndex & (ulong)(PageSize - 1));
        return page is not null && offset < page.Length ? page[offset] : (byte)0;
    }

    /// <summary>Copies bytes starting at <paramref name="byteOffset"/>; unallocated ranges read as zero.</summary>
    public void CopyBytes(ulong byteOffset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var offset = (int)(byteOffset & (ulong)(PageSize - 1));
            var n = Math.Min(PageSize - offset, destination.Length);
            var page = Existing(byteOffset >> _pageShift);
            var held = page is null ? 0 : Math.Clamp(page.Length - offset, 0, n);
            if (held > 0) page.AsSpan(offset, held).CopyTo(destination);
            destination[held..n].Clear();
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
            var page = last >= 0 ? Writable(pageIndex, offset + last) : Existing(pageIndex);
            // Past the page's end the bytes read as zero, and so are the chunk's past `last`.
            var held = page is null ? 0 : Math.Clamp(page.Length - offset, 0, n);
            if (held > 0 && !chunk[..held].SequenceEqual(page.AsSpan(offset, held)))
            {
                chunk[..held].CopyTo(page.AsSpan(offset));
                MarkDirty(pageIndex);
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
        var i = Find(from >> 3 >> _pageShift);
        if (i < 0) i = ~i;
        for (; i < _count; i++)
        {
            var pageStartBit = _indices[i] * BitsPerPage;
            if (pageStartBit >= end) return null;
            var startBit = Math.Max(from, pageStartBit);
            var found = ScanPage(_pages[i], pageStartBit, startBit, lookFor: true);
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
            var page = Existing(pageIndex);
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
        for (var i = _count - 1; i >= 0; i--)
        {
            var page = _pages[i];
            var b = page.AsSpan().LastIndexOfAnyExcept((byte)0);
            if (b < 0) continue;
            var bitInByte = BitOperations.TrailingZeroCount((uint)page[b]);
            return _indices[i] * BitsPerPage + (ulong)b * 8 + (ulong)(7 - bitInByte);
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

    /// <summary>
    /// Pages modified since the last <see cref="ClearDirty"/>, ascending. The memory is the live page
    /// (persist it before mutating again) and may be shorter than <see cref="PageSize"/>: the bytes
    /// past its end are zero, as <see cref="LoadPage"/> reads them.
    /// </summary>
    public IEnumerable<(ulong PageIndex, ReadOnlyMemory<byte> Page)> DirtyPages
    {
        get
        {
            var list = _dirtyMore is null ? new List<ulong>() : _dirtyMore.ToList();
            if (_dirtyOne != NoPage) list.Add(_dirtyOne);
            list.Sort();
            foreach (var p in list) yield return (p, Existing(p)!);
        }
    }

    /// <summary>Every allocated page, ascending (a page may be all zero after bits were cleared, and short as in <see cref="DirtyPages"/>).</summary>
    public IEnumerable<(ulong PageIndex, ReadOnlyMemory<byte> Page)> Pages
    {
        get
        {
            var indices = _indices[.._count];
            var pages = _pages[.._count];
            for (var i = 0; i < indices.Length; i++) yield return (indices[i], pages[i]);
        }
    }

    public bool HasDirtyPages => _dirtyOne != NoPage;

    public void ClearDirty()
    {
        _dirtyOne = NoPage;
        _dirtyMore = null;
    }

    /// <summary>Restores a persisted page (not marked dirty). A short span is zero-extended; an all-zero one allocates nothing.</summary>
    public void LoadPage(ulong pageIndex, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > PageSize) throw new ArgumentException($"A page is at most {PageSize} bytes.", nameof(bytes));
        var last = bytes.LastIndexOfAnyExcept((byte)0);
        var page = last >= 0 ? Writable(pageIndex, last) : Existing(pageIndex);
        if (page is null) return;
        var held = Math.Min(bytes.Length, page.Length);
        bytes[..held].CopyTo(page);
        page.AsSpan(held).Clear();
        if (last >= 0) Grow((pageIndex << _pageShift) + (ulong)last);
    }

    // Length counts bits, so a byte in the very last 2^61 range saturates instead of wrapping.
    private void Grow(ulong lastByte)
    {
        var bits = lastByte >= ulong.MaxValue >> 3 ? ulong.MaxValue : (lastByte + 1) << 3;
        if (bits > Length) Length = bits;
    }

    private void MarkDirty(ulong pageIndex)
    {
        if (_dirtyOne == NoPage) _dirtyOne = pageIndex;
        else if (_dirtyOne != pageIndex) (_dirtyMore ??= new()).Add(pageIndex);
    }

    // The slot of a page (or the bitwise complement of where it would go).
    private int Slot(ulong pageIndex)
    {
        var last = _last;
        if ((uint)last < (uint)_count && _indices[last] == pageIndex) return last;
        var i = Find(pageIndex);
        if (i >= 0) _last = i;
        return i;
    }

    private byte[]? Existing(ulong pageIndex)
    {
        var slot = Slot(pageIndex);
        return slot >= 0 ? _pages[slot] : null;
    }

    // The page, allocated or grown so that byte `offset` is inside it.
    private byte[] Writable(ulong pageIndex, int offset)
    {
        var slot = Slot(pageIndex);
        if (slot < 0)
        {
            slot = ~slot;
            if (_count == _indices.Length)
            {
                var capacity = Math.Max(1, _count * 2);
                Array.Resize(ref _indices, capacity);
                Array.Resize(ref _pages, capacity);
            }
            Array.Copy(_indices, slot, _indices, slot + 1, _count - slot);
            Array.Copy(_pages, slot, _pages, slot + 1, _count - slot);
            _indices[slot] = pageIndex;
            _pages[slot] = new byte[SizeFor(offset)];
            _allocated += _pages[slot].Length;
            _count++;
            _last = slot;
            return _pages[slot];
        }
        var page = _pages[slot];
        if (offset >= page.Length)
        {
            _allocated -= page.Length;
            Array.Resize(ref page, SizeFor(offset));
            _allocated += page.Length;
            _pages[slot] = page;
        }
        return page;
    }

    private int SizeFor(int offset) => Math.Min(PageSize, Math.Max(MinPageBytes, (int)BitOperations.RoundUpToPowerOf2((uint)offset + 1)));

    // First bit equal to lookFor at or after startBit inside one page, using vectorised byte scans.
    // Bytes past a short page's end are zero.
    private ulong? ScanPage(byte[] page, ulong pageStartBit, ulong startBit, bool lookFor)
    {
        var bitInPage = (int)(startBit - pageStartBit);
        var byteIndex = bitInPage >> 3;
        if (byteIndex >= page.Length) return lookFor ? null : startBit;
        var skip = (byte)(lookFor ? 0x00 : 0xFF);
        // Mask off bits before startBit in the first byte, then look byte-wise.
        var first = lookFor ? page[byteIndex] : (byte)~page[byteIndex];
        first &= (byte)(0xFF >> (bitInPage & 7));
        if (first != 0) return pageStartBit + (ulong)byteIndex * 8 + (ulong)(BitOperations.LeadingZeroCount((uint)first) - 24);
        var rest = page.AsSpan(byteIndex + 1);
        var j = rest.IndexOfAnyExcept(skip);
        if (j < 0) return lookFor || page.Length == PageSize ? null : pageStartBit + (ulong)page.Length * 8;
        var v = lookFor ? rest[j] : (byte)~rest[j];
        return pageStartBit + (ulong)(byteIndex + 1 + j) * 8 + (ulong)(BitOperations.LeadingZeroCount((uint)v) - 24);
    }

    // Array.BinarySearch's contract over _indices[0.._count): the slot of pageIndex, or the complement of
    // where it would go. Written out because Array.BinarySearch<ulong> is a generic instantiation that
    // ReadyToRun does not precompile: a short-lived process (an import) would JIT it and run it slow.
    private int Find(ulong pageIndex)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var v = _indices[mid];
            if (v == pageIndex) return mid;
            if (v < pageIndex) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}
