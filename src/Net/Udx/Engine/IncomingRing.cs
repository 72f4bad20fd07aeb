// Packets received above the cumulative ack, waiting for the hole before them to be filled. Indexed by
// sequence number in a power-of-two ring that grows on demand up to a hard limit, so a peer that sends
// sequence numbers far ahead cannot make us allocate: such packets are dropped (and counted) instead.
using System.Buffers;

namespace Cabal.Net.Udx.Engine;

internal sealed class IncomingRing(int maxSpan)
{
    private struct Slot
    {
        public byte[]? Buffer;
        public int Length;
        public uint Seq;
        public UdxPacketType Type;
        public bool Used;
    }

    private Slot[] _slots = new Slot[16];
    private int _mask = 15;

    /// <summary>Packets held.</summary>
    public int Count { get; private set; }

    /// <summary>Payload bytes held.</summary>
    public long Bytes { get; private set; }

    /// <summary>Largest distance from the cumulative ack a packet may have to be held.</summary>
    public int MaxSpan { get; } = maxSpan;

    /// <summary>Highest seq held (meaningful while Count > 0).</summary>
    public uint Highest { get; private set; }

    public bool Contains(uint seq)
    {
        ref var s = ref _slots[(int)(seq & (uint)_mask)];
        return s.Used && s.Seq == seq;
    }

    /// <summary>Stores a copy of <paramref name="payload"/>; <paramref name="ack"/> is the current cumulative ack (seq &gt; ack).</summary>
    public void Add(uint seq, uint ack, UdxPacketType type, ReadOnlySpan<byte> payload)
    {
        var span = seq - ack + 1;
        if (span > (uint)_slots.Length) Grow(span);
        ref var s = ref _slots[(int)(seq & (uint)_mask)];
        byte[]? buffer = null;
        if (payload.Length > 0)
        {
            buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(buffer);
        }
        s = new Slot { Buffer = buffer, Length = payload.Length, Seq = seq, Type = type, Used = true };
        if (Count == 0 || Seq.Gt(seq, Highest)) Highest = seq;
        Count++;
        Bytes += payload.Length;
    }

    /// <summary>Takes the packet with <paramref name="seq"/> if held; the caller returns the buffer with <see cref="ReturnBuffer"/>.</summary>
    public bool TryTake(uint seq, out UdxPacketType type, out byte[]? buffer, out int length)
    {
        ref var s = ref _slots[(int)(seq & (uint)_mask)];
        if (!s.Used || s.Seq != seq)
        {
            type = 0;
            buffer = null;
            length = 0;
            return false;
        }
        type = s.Type;
        buffer = s.Buffer;
        length = s.Length;
        s = default;
        Count--;
        Bytes -= length;
        return true;
    }

    public static void ReturnBuffer(byte[]? buffer)
    {
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }

    public void Clear()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            ReturnBuffer(_slots[i].Buffer);
            _slots[i] = default;
        }
        Count = 0;
        Bytes = 0;
    }

    private void Grow(uint span)
    {
        var size = _slots.Length;
        while ((uint)size < span) size *= 2;
        var old = _slots;
        _slots = new Slot[size];
        _mask = size - 1;
        foreach (var s in old)
            if (s.Used) _slots[(int)(s.Seq & (uint)_mask)] = s;
    }
}
