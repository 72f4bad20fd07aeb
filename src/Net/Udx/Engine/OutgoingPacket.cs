// One packet the stream sends reliably (DATA, END or DATA|END), from the moment a write fills it until
// the peer acknowledges it. The header, MTU-probe padding and payload live in one pooled buffer laid out
// so that neither adding padding nor retransmitting needs a copy:
//
//   [ 20 + 255 bytes reserved ][ payload ... ]
//             ^ header (20 bytes) then `Padding` zero bytes end exactly where the payload starts
//
// so the datagram is Buffer[275 - Padding - 20 .. 275 + Length).
using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Udx.Engine;

internal sealed class OutgoingPacket
{
    public const int MaxPadding = 255;
    public const int PayloadOffset = MaxPadding + UdxPacket.HeaderSize;

    public byte[] Buffer = [];
    /// <summary>Payload bytes this packet may hold (the max payload when it was started).</summary>
    public int Capacity;
    public int Length;
    public UdxPacketType Type;
    public uint Seq;
    public byte Padding;
    public bool IsMtuProbe;
    public UdxRoute? Route;

    // Loss recovery.
    public long SentAt;
    public int Transmits;
    public bool Retransmitted;
    public int RtoTimeouts;
    public PacketState State;

    // Delivery-rate sample, taken at the last transmission (draft-cheng-iccrg-delivery-rate-estimation).
    public long DeliveredAtSend;
    public long DeliveredTimeAtSend;
    public long FirstSentTimeAtSend;
    public bool AppLimitedAtSend;

    // Links of the one list the packet is on (unsent, in flight or lost).
    public OutgoingPacket? Prev;
    public OutgoingPacket? Next;

    public int HeaderOffset => PayloadOffset - Padding - UdxPacket.HeaderSize;

    public int DatagramLength => UdxPacket.HeaderSize + Padding + Length;

    public Span<byte> Datagram => Buffer.AsSpan(HeaderOffset, DatagramLength);

    public Span<byte> Header => Buffer.AsSpan(HeaderOffset, UdxPacket.HeaderSize);

    public bool IsFull => Length == Capacity;
}

internal enum PacketState : byte { Unsent, InFlight, Lost, Sacked }

/// <summary>Recycles packets and their buffers within one stream.</summary>
internal sealed class OutgoingPacketPool
{
    private readonly Stack<OutgoingPacket> _free = new();

    public OutgoingPacket Rent(int capacity)
    {
        var p = _free.Count > 0 ? _free.Pop() : new OutgoingPacket();
        p.Buffer = ArrayPool<byte>.Shared.Rent(OutgoingPacket.PayloadOffset + capacity);
        p.Capacity = capacity;
        p.Length = 0;
        p.Type = 0;
        p.Seq = 0;
        p.Padding = 0;
        p.IsMtuProbe = false;
        p.Route = null;
        p.SentAt = 0;
        p.Transmits = 0;
        p.Retransmitted = false;
        p.RtoTimeouts = 0;
        p.State = PacketState.Unsent;
        p.Prev = p.Next = null;
        return p;
    }

    public void Return(OutgoingPacket p)
    {
        if (p.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(p.Buffer);
        p.Buffer = [];
        p.Route = null;
        p.Prev = p.Next = null;
        if (_free.Count < 256) _free.Push(p);
    }
}

/// <summary>An intrusive doubly-linked list of packets (a packet is on at most one).</summary>
internal struct PacketList
{
    public OutgoingPacket? Head;
    public OutgoingPacket? Tail;
    public int Count;

    public void AddLast(OutgoingPacket p)
    {
        p.Next = null;
        p.Prev = Tail;
        if (Tail is null) Head = p;
        else Tail.Next = p;
        Tail = p;
        Count++;
    }

    public void Remove(OutgoingPacket p)
    {
        if (p.Prev is null) Head = p.Next;
        else p.Prev.Next = p.Next;
        if (p.Next is null) Tail = p.Prev;
        else p.Next.Prev = p.Prev;
        p.Prev = p.Next = null;
        Count--;
    }

    public OutgoingPacket? RemoveFirst()
    {
        var p = Head;
        if (p is not null) Remove(p);
        return p;
    }
}

/// <summary>Packets sent and not yet acknowledged, indexed by sequence number (a power-of-two ring that grows).</summary>
internal sealed class OutgoingRing
{
    private OutgoingPacket?[] _slots = new OutgoingPacket?[64];
    private int _mask = 63;

    public int Capacity => _slots.Length;

    public OutgoingPacket? Get(uint seq)
    {
        var p = _slots[(int)(seq & (uint)_mask)];
        return p is not null && p.Seq == seq ? p : null;
    }

    /// <summary>Stores <paramref name="p"/>; every stored packet's seq lies in [<paramref name="oldest"/>, p.Seq].</summary>
    public void Add(OutgoingPacket p, uint oldest)
    {
        var span = p.Seq - oldest + 1;
        if (span > (uint)_slots.Length) Grow(span);
        _slots[(int)(p.Seq & (uint)_mask)] = p;
    }

    public OutgoingPacket? Remove(uint seq)
    {
        ref var slot = ref _slots[(int)(seq & (uint)_mask)];
        var p = slot;
        if (p is null || p.Seq != seq) return null;
        slot = null;
        return p;
    }

    public void Clear(Action<OutgoingPacket> release)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is { } p) release(p);
            _slots[i] = null;
        }
    }

    private void Grow(uint span)
    {
        var size = _slots.Length;
        while ((uint)size < span) size *= 2;
        var old = _slots;
        _slots = new OutgoingPacket?[size];
        _mask = size - 1;
        foreach (var p in old)
            if (p is not null) _slots[(int)(p.Seq & (uint)_mask)] = p;
    }
}

/// <summary>Where a stream's packets go: the socket to send from and the remote address.</summary>
internal sealed class UdxRoute(UdxSocket? socket, IPEndPoint remote)
{
    public UdxSocket? Socket { get; } = socket;

    public IPEndPoint Remote { get; } = remote;

    public SocketAddress Address { get; } = remote.Serialize();
}
