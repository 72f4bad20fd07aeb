// Encoder for the compact-encoding subset (spec/hyperswarm.md §1). Writes canonical forms only (the
// shortest uint). Callers size the destination first with CompactSize (JS's "preencode"), so running
// out of room is a programming error and throws.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cabal.Net.Compact;

public ref struct CompactWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public CompactWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    public readonly Span<byte> Written => _buffer[.._position];

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteUInt(ulong value)
    {
        if (value > CompactReader.MaxUInt) throw new ArgumentOutOfRangeException(nameof(value), "compact uints are at most 2^53 - 1.");
        if (value <= 0xfc)
        {
            _buffer[_position++] = (byte)value;
        }
        else if (value <= 0xffff)
        {
            _buffer[_position] = 0xfd;
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position + 1, 2), (ushort)value);
            _position += 3;
        }
        else if (value <= 0xffffffff)
        {
            _buffer[_position] = 0xfe;
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.Slice(_position + 1, 4), (uint)value);
            _position += 5;
        }
        else
        {
            _buffer[_position] = 0xff;
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.Slice(_position + 1, 8), value);
            _position += 9;
        }
    }

    /// <summary>compact `int`: zig-zag then uint.</summary>
    public void WriteInt(long value) => WriteUInt(CompactSize.ZigZag(value));

    public void WriteUInt8(byte value) => WriteByte(value);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position, 2), value);
        _position += 2;
    }

    public void WriteUInt24(uint value)
    {
        if (value > 0xffffff) throw new ArgumentOutOfRangeException(nameof(value));
        var s = _buffer.Slice(_position, 3);
        s[0] = (byte)value;
        s[1] = (byte)(value >> 8);
        s[2] = (byte)(value >> 16);
        _position += 3;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.Slice(_position, 4), value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.Slice(_position, 8), value);
        _position += 8;
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteBuffer(scoped ReadOnlySpan<byte> value)
    {
        WriteUInt((ulong)value.Length);
        WriteFixed(value);
    }

    /// <summary>compact `optionalBuffer`: null (or empty) as 00.</summary>
    public void WriteOptionalBuffer(scoped ReadOnlySpan<byte> value) => WriteBuffer(value);

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteUInt((ulong)length);
        Encoding.UTF8.GetBytes(value, _buffer.Slice(_position, length));
        _position += length;
    }

    /// <summary>fixed32/fixed64/raw: the bytes, no length.</summary>
    public void WriteFixed(scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
    }

    public void WriteIpv4(uint address)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.Slice(_position, 4), address);
        _position += 4;
    }

    public void WriteIpv4EndPoint(Ipv4EndPoint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.Slice(_position, 4), value.Address);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position + 4, 2), value.Port);
        _position += Ipv4EndPoint.Size;
    }

    public void WriteIpv4EndPoints(IReadOnlyList<Ipv4EndPoint> values)
    {
        WriteUInt((ulong)values.Count);
        for (var i = 0; i < values.Count; i++) WriteIpv4EndPoint(values[i]);
    }

    public void WriteIpv6EndPoint(IPEndPoint value)
    {
        if (value.AddressFamily != AddressFamily.InterNetworkV6) throw new ArgumentException("Not an IPv6 address.", nameof(value));
        value.Address.TryWriteBytes(_buffer.Slice(_position, 16), out _);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position + 16, 2), (ushort)value.Port);
        _position += 18;
    }

    /// <summary>`ipAddress`: family byte, then the address and u16le port.</summary>
    public void WriteIpEndPoint(IPEndPoint value)
    {
        if (value.AddressFamily == AddressFamily.InterNetwork)
        {
            WriteByte(4);
            WriteIpv4EndPoint(Ipv4EndPoint.FromIPEndPoint(value));
        }
        else
        {
            WriteByte(6);
            WriteIpv6EndPoint(value);
        }
    }
}

/// <summary>Encoded sizes (JS "preencode"), so messages are written into exactly-sized buffers.</summary>
public static class CompactSize
{
    public static int UInt(ulong value) => value <= 0xfc ? 1 : value <= 0xffff ? 3 : value <= 0xffffffff ? 5 : 9;

    public static int Int(long value) => UInt(ZigZag(value));

    public static int Buffer(int length) => UInt((ulong)length) + length;

    public static int String(string value) => Buffer(Encoding.UTF8.GetByteCount(value));

    public static int Ipv4EndPoints(int count) => UInt((ulong)count) + count * Ipv4EndPoint.Size;

    public static int IpEndPoint(IPEndPoint value) => value.AddressFamily == AddressFamily.InterNetwork ? 7 : 19;

    internal static ulong ZigZag(long value) => value >= 0 ? (ulong)value << 1 : ((ulong)(-(value + 1)) << 1) | 1;
}
