// The UDX wire format, as libudx writes and reads it (src/udx.c udx_write_header and process_packet;
// spec/hyperswarm.md §6.2–6.5). Pure functions over spans, no I/O.
//
// Every datagram starts with a 20-byte header, all integers little-endian:
//   0  magic 0xFF          1  version 0x01        2  type flags (UdxPacketType)   3  data offset
//   4  remote id (u32: the RECEIVER's local stream id, the demux key)
//   8  receive window (u32, bytes the sender can still buffer)
//   12 seq (u32: packets, not bytes; DATA, END and DESTROY consume one)
//   16 ack (u32: the next seq the sender expects from the receiver)
// After the header: for SACK packets, (start, end-exclusive) u32 pairs; for DATA and MESSAGE packets,
// `data offset` bytes of zero padding (MTU probes) and then the payload.
using System.Buffers.Binary;

namespace Cabal.Net.Udx;

/// <summary>UDX type flags (libudx include/udx.h). 0 is a pure acknowledgement ("state" packet).</summary>
[Flags]
public enum UdxPacketType : byte
{
    Ack = 0,
    Data = 0x01,
    End = 0x02,
    Sack = 0x04,
    Message = 0x08,
    Destroy = 0x10,
    Heartbeat = 0x20,
}

/// <summary>The 20 header bytes of a UDX datagram, decoded.</summary>
public readonly record struct UdxHeader(UdxPacketType Type, byte DataOffset, uint RemoteId, uint ReceiveWindow, uint Seq, uint Ack)
{
    public bool Has(UdxPacketType flag) => (Type & flag) != 0;
}

/// <summary>A parsed datagram: the header and views into the rest of the bytes (valid while the buffer is).</summary>
public readonly ref struct UdxDatagram
{
    internal UdxDatagram(UdxHeader header, ReadOnlySpan<byte> body)
    {
        Header = header;
        Body = body;
    }

    public UdxHeader Header { get; }

    /// <summary>Everything after the 20-byte header.</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>
    /// False when the data offset points past the end of the datagram; libudx ignores such a packet
    /// after answering it if it is a heartbeat.
    /// </summary>
    public bool OffsetIsValid => Header.DataOffset <= Body.Length;

    /// <summary>The payload: the body after <c>data offset</c> bytes of padding (empty if the offset is invalid).</summary>
    public ReadOnlySpan<byte> Payload => OffsetIsValid ? Body[Header.DataOffset..] : default;

    /// <summary>
    /// Number of SACK blocks, by libudx's rule: the data offset when it is non-zero and shorter than the
    /// body, else the whole body, divided by 8. Zero unless the SACK flag is set.
    /// </summary>
    public int SackBlockCount
    {
        get
        {
            if (!Header.Has(UdxPacketType.Sack)) return 0;
            var area = Header.DataOffset > 0 && Header.DataOffset < Body.Length ? Header.DataOffset : Body.Length;
            return area / UdxPacket.SackBlockSize;
        }
    }

    /// <summary>SACK block <paramref name="index"/>: sequence numbers [Start, End) the sender holds above its ack.</summary>
    public (uint Start, uint End) SackBlock(int index)
    {
        var b = Body.Slice(index * UdxPacket.SackBlockSize, UdxPacket.SackBlockSize);
        return (BinaryPrimitives.ReadUInt32LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[4..]));
    }
}

/// <summary>Encoding and decoding of UDX datagrams.</summary>
public static class UdxPacket
{
    public const int HeaderSize = 20;
    public const byte Magic = 0xFF;
    public const byte Version = 1;
    public const int SackBlockSize = 8;

    /// <summary>libudx sends at most this many SACK blocks (UDX_MAX_SACKS); we read at most this many too.</summary>
    public const int MaxSackBlocks = 50;

    /// <summary>IPv4 + UDP + UDX header bytes libudx counts against the MTU (UDX_IPV4_HEADER_SIZE).</summary>
    public const int Ipv4Overhead = 20 + 8 + HeaderSize;

    /// <summary>True for a datagram the UDX layer may claim: at least 20 bytes starting FF 01.</summary>
    public static bool IsUdx(ReadOnlySpan<byte> datagram)
        => datagram.Length >= HeaderSize && datagram[0] == Magic && datagram[1] == Version;

    /// <summary>The receiver's stream id of a UDX datagram (the demux key), without decoding the rest.</summary>
    public static bool TryReadStreamId(ReadOnlySpan<byte> datagram, out uint streamId)
    {
        if (!IsUdx(datagram))
        {
            streamId = 0;
            return false;
        }
        streamId = BinaryPrimitives.ReadUInt32LittleEndian(datagram[4..]);
        return true;
    }

    /// <summary>Decodes the header. False (never an exception) for anything that is not a UDX datagram.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out UdxDatagram packet)
    {
        if (!IsUdx(datagram))
        {
            packet = default;
            return false;
        }
        var header = new UdxHeader(
            (UdxPacketType)datagram[2],
            datagram[3],
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[12..]),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[16..]));
        packet = new UdxDatagram(header, datagram[HeaderSize..]);
        return true;
    }

    /// <summary>Writes the 20 header bytes.</summary>
    public static void WriteHeader(Span<byte> destination, in UdxHeader header)
    {
        if (destination.Length < HeaderSize) throw new ArgumentException("The destination is shorter than a UDX header.", nameof(destination));
        destination[0] = Magic;
        destination[1] = Version;
        destination[2] = (byte)header.Type;
        destination[3] = header.DataOffset;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], header.RemoteId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], header.ReceiveWindow);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], header.Seq);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], header.Ack);
    }

    /// <summary>Rewrites the receive window and ack of an already written header (a retransmission advertises current state).</summary>
    internal static void RefreshHeader(Span<byte> header, uint receiveWindow, uint ack)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], receiveWindow);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], ack);
    }

    /// <summary>Writes SACK block <paramref name="index"/> into the body that follows a header.</summary>
    public static void WriteSackBlock(Span<byte> body, int index, uint start, uint end)
    {
        var b = body.Slice(index * SackBlockSize, SackBlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b, start);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], end);
    }

    /// <summary>Encodes a whole datagram (header, padding, payload) into a new array; for tests and rare paths.</summary>
    public static byte[] Encode(in UdxHeader header, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[HeaderSize + header.DataOffset + payload.Length];
        WriteHeader(bytes, header);
        payload.CopyTo(bytes.AsSpan(HeaderSize + header.DataOffset));
        return bytes;
    }
}

/// <summary>Sequence-number arithmetic modulo 2^32 (libudx seq_compare / seq_diff).</summary>
internal static class Seq
{
    /// <summary>Signed distance a − b.</summary>
    public static int Diff(uint a, uint b) => (int)(a - b);

    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
}
