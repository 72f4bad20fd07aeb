// Decoder for the compact-encoding 3 subset that dht-rpc 6 and hyperdht 6 use (spec/hyperswarm.md §1,
// node_modules/compact-encoding/index.js). Pure and allocation-free over a span, in the style of
// Kestrel's parser: every Try* either consumes a whole value and returns true, or returns false and
// leaves the position where it was. A false means "malformed" (JS throws "Out of bounds" or a range
// error there); callers drop the message.
//
// Leniency matches JS exactly: a uint may use a longer form than needed (fd0100 = 1), but its value
// must fit JS's safe integers (< 2^53); arrays may declare at most 0x100000 items; trailing bytes
// after a top-level message are the caller's business.
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Cabal.Net.Compact;

public ref struct CompactReader
{
    /// <summary>Largest uint JS can decode (Number.MAX_SAFE_INTEGER).</summary>
    public const ulong MaxUInt = (1UL << 53) - 1;

    /// <summary>compact-encoding's array decoder rejects longer arrays.</summary>
    public const int MaxArrayLength = 0x100000;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public CompactReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position >= _buffer.Length;

    public bool TryReadByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }
        value = _buffer[_position++];
        return true;
    }

    /// <summary>compact `uint`: ≤ 0xfc one byte; fd u16le; fe u32le; ff u64le (≤ 2^53 − 1).</summary>
    public bool TryReadUInt(out ulong value)
    {
        value = 0;
        if (_position >= _buffer.Length) return false;
        var first = _buffer[_position];
        var rest = _buffer[(_position + 1)..];
        switch (first)
        {
            case <= 0xfc:
                value = first;
                _position += 1;
                return true;
            case 0xfd:
                if (rest.Length < 2) return false;
                value = BinaryPrimitives.ReadUInt16LittleEndian(rest);
                _position += 3;
                return true;
            case 0xfe:
                if (rest.Length < 4) return false;
                value = BinaryPrimitives.ReadUInt32LittleEndian(rest);
                _position += 5;
                return true;
            default:
                if (rest.Length < 8) return false;
                var v = BinaryPrimitives.ReadUInt64LittleEndian(rest);
                if (v > MaxUInt) return false;
                value = v;
                _position += 9;
                return true;
        }
    }

    /// <summary>A compact uint that must also fit in an int (lengths, ids, counters).</summary>
    public bool TryReadUInt(out int value)
    {
        var start = _position;
        if (!TryReadUInt(out ulong v) || v > int.MaxValue)
        {
            _position = start;
            value = 0;
            return false;
        }
        value = (int)v;
        return true;
    }

    /// <summary>A compact uint that must also fit in a uint (UDX stream ids and the like).</summary>
    public bool TryReadUInt(out uint value)
    {
        var start = _position;
        if (!TryReadUInt(out ulong v) || v > uint.MaxValue)
        {
            _position = start;
            value = 0;
            return false;
        }
        value = (uint)v;
        return true;
    }

    /// <summary>compact `int`: zig-zag then uint.</summary>
    public bool TryReadInt(out long value)
    {
        value = 0;
        if (!TryReadUInt(out ulong n)) return false;
        value = (n & 1) == 0 ? (long)(n >> 1) : -(long)(n >> 1) - 1;
        return true;
    }

    public bool TryReadUInt8(out byte value) => TryReadByte(out value);

    public bool TryReadUInt16(out ushort value)
    {
        value = 0;
        if (Remaining < 2) return false;
        value = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadUInt24(out uint value)
    {
        value = 0;
        if (Remaining < 3) return false;
        value = (uint)(_buffer[_position] | _buffer[_position + 1] << 8 | _buffer[_position + 2] << 16);
        _position += 3;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        value = 0;
        if (Remaining < 4) return false;
        value = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[_position..]);
        _position += 4;
        return true;
    }

    public bool TryReadUInt64(out ulong value)
    {
        value = 0;
        if (Remaining < 8) return false;
        value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[_position..]);
        _position += 8;
        return true;
    }

    /// <summary>compact `bool`: one byte, exactly 1 is true (JS `byte === 1`).</summary>
    public bool TryReadBool(out bool value)
    {
        value = false;
        if (!TryReadByte(out var b)) return false;
        value = b == 1;
        return true;
    }

    /// <summary>compact `buffer`: uint length then the bytes (length 0 is an empty buffer).</summary>
    public bool TryReadBuffer(out ReadOnlySpan<byte> value)
    {
        var start = _position;
        value = default;
        if (!TryReadUInt(out int length) || length > Remaining)
        {
            _position = start;
            return false;
        }
        value = _buffer.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>compact `optionalBuffer`: like buffer, but length 0 means null (<paramref name="present"/> false).</summary>
    public bool TryReadOptionalBuffer(out ReadOnlySpan<byte> value, out bool present)
    {
        present = false;
        if (!TryReadBuffer(out value)) return false;
        present = !value.IsEmpty;
        return true;
    }

    /// <summary>compact `string` (utf8): uint byte length then UTF-8.</summary>
    public bool TryReadString(out string value)
    {
        value = "";
        if (!TryReadBuffer(out var bytes)) return false;
        value = Encoding.UTF8.GetString(bytes);
        return true;
    }

    /// <summary>fixed32 / fixed64 / any fixed-width run of bytes, no length prefix.</summary>
    public bool TryReadFixed(int length, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (Remaining < length) return false;
        value = _buffer.Slice(_position, length);
        _position += length;
        return true;
    }

    public bool TryReadFixed32(out ReadOnlySpan<byte> value) => TryReadFixed(32, out value);

    public bool TryReadFixed64(out ReadOnlySpan<byte> value) => TryReadFixed(64, out value);

    /// <summary>compact `raw`: everything that is left.</summary>
    public ReadOnlySpan<byte> ReadRaw()
    {
        var rest = _buffer[_position..];
        _position = _buffer.Length;
        return rest;
    }

    /// <summary>
    /// An array's item count. Beyond JS's 0x100000 limit, also refuses a count larger than the bytes
    /// left: every item type used on this wire takes at least one byte, so such an array could never
    /// decode, and refusing early keeps a forged count from sizing an allocation.
    /// </summary>
    public bool TryReadArrayLength(out int count)
    {
        var start = _position;
        if (!TryReadUInt(out count) || count > MaxArrayLength || count > Remaining)
        {
            _position = start;
            count = 0;
            return false;
        }
        return true;
    }

    /// <summary>compact-encoding-net `ipv4`: 4 address bytes, no port.</summary>
    public bool TryReadIpv4(out uint address)
    {
        address = 0;
        if (Remaining < 4) return false;
        address = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return true;
    }

    /// <summary>`ipv4Address`: 4 address bytes in dotted order, then u16le port.</summary>
    public bool TryReadIpv4EndPoint(out Ipv4EndPoint value)
    {
        value = default;
        if (Remaining < Ipv4EndPoint.Size) return false;
        var s = _buffer[_position..];
        value = new Ipv4EndPoint(BinaryPrimitives.ReadUInt32BigEndian(s), BinaryPrimitives.ReadUInt16LittleEndian(s[4..]));
        _position += Ipv4EndPoint.Size;
        return true;
    }

    /// <summary>`ipv6Address`: 16 address bytes, then u16le port.</summary>
    public bool TryReadIpv6EndPoint(out IPEndPoint? value)
    {
        value = null;
        if (Remaining < 18) return false;
        var s = _buffer.Slice(_position, 18);
        value = new IPEndPoint(new IPAddress(s[..16]), BinaryPrimitives.ReadUInt16LittleEndian(s[16..]));
        _position += 18;
        return true;
    }

    /// <summary>`ipAddress`: family byte (4 or 6), then that family's address and port.</summary>
    public bool TryReadIpEndPoint(out IPEndPoint? value)
    {
        value = null;
        var start = _position;
        if (!TryReadByte(out var family)) return false;
        if (family == 4 && TryReadIpv4EndPoint(out var v4))
        {
            value = v4.ToIPEndPoint();
            return true;
        }
        if (family == 6 && TryReadIpv6EndPoint(out value)) return true;
        _position = start;
        return false;
    }

    /// <summary>array(ipv4Address) into a new list.</summary>
    public bool TryReadIpv4EndPoints(out List<Ipv4EndPoint> values)
    {
        var start = _position;
        values = [];
        if (!TryReadArrayLength(out var count)) return false;
        if (count > Remaining / Ipv4EndPoint.Size)
        {
            _position = start;
            return false;
        }
        values.Capacity = count;
        for (var i = 0; i < count; i++)
        {
            TryReadIpv4EndPoint(out var e);
            values.Add(e);
        }
        return true;
    }
}
