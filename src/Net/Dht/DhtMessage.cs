// dht-rpc 6 datagrams (spec/hyperswarm.md §2.1; node_modules/dht-rpc/lib/io.js _encodeRequest,
// Request.decode, _sendReply, decodeReply). Both kinds start with a type byte, 0x03 request or 0x13
// response ((kind << 4) | VERSION 0b11), then a uint flags field naming the optional parts:
//
//   request  = 03 flags tid:u16le to:ipv4Address [id:32] [token:32] command:uint [target:32] [value:buffer]
//              flags 1 id, 2 token, 4 internal, 8 target, 16 value
//   response = 13 flags tid:u16le to:ipv4Address [id:32] [token:32] [closerNodes:array(ipv4Address)]
//              [error:uint] [value:buffer]
//              flags 1 id, 2 token, 4 closerNodes, 8 error, 16 value
//
// `to` is the address the datagram was sent to as its sender sees it: a request tells its receiver the
// receiver's public address, a response tells the requester its own. Decoding is pure and allocates
// only the fields it keeps; anything short or out of range is refused (the JS decoder throws and the
// datagram is ignored). Bytes after the last field are ignored, as in JS.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public static class DhtWire
{
    public const byte Version = 0b11;
    public const byte RequestType = (0 << 4) | Version;
    public const byte ResponseType = (1 << 4) | Version;

    /// <summary>Length of ids, tokens and targets.</summary>
    public const int KeySize = 32;

    /// <summary>The largest datagram we decode or build; UDP over IPv4 carries at most this much.</summary>
    public const int MaxDatagramSize = 65507;
}

/// <summary>dht-rpc's internal commands (flag 4), dht-rpc/lib/commands.js.</summary>
public static class DhtCommand
{
    public const ulong Ping = 0;
    public const ulong PingNat = 1;
    public const ulong FindNode = 2;
    public const ulong DownHint = 3;
    public const ulong DelayedPing = 4;
}

/// <summary>Error codes in responses (dht-rpc/lib/errors.js; hyperdht adds 16 and 17).</summary>
public static class DhtErrorCode
{
    public const ulong None = 0;
    public const ulong UnknownCommand = 1;
    public const ulong InvalidToken = 2;
    public const ulong SeqReused = 16;
    public const ulong SeqTooLow = 17;
}

/// <summary>A decoded or to-be-sent dht-rpc request.</summary>
public sealed class DhtRequest
{
    public ushort Tid { get; init; }

    /// <summary>Where the sender addressed it (the receiver's address as the sender sees it).</summary>
    public Ipv4EndPoint To { get; init; }

    /// <summary>Sender's node id (persistent nodes only). After decoding: null unless it matches the source address.</summary>
    public byte[]? Id { get; set; }

    public byte[]? Token { get; init; }

    public bool Internal { get; init; }

    public ulong Command { get; init; }

    public byte[]? Target { get; init; }

    public byte[]? Value { get; init; }

    public int EncodedLength => 1 + 1 + 2 + Ipv4EndPoint.Size
        + (Id is null ? 0 : DhtWire.KeySize)
        + (Token is null ? 0 : DhtWire.KeySize)
        + CompactSize.UInt(Command)
        + (Target is null ? 0 : DhtWire.KeySize)
        + (Value is null ? 0 : CompactSize.Buffer(Value.Length));

    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        Encode(buffer);
        return buffer;
    }

    /// <summary>Writes the datagram; returns its length.</summary>
    public int Encode(Span<byte> destination)
    {
        var w = new CompactWriter(destination);
        w.WriteByte(DhtWire.RequestType);
        w.WriteUInt((ulong)((Id is null ? 0 : 1) | (Token is null ? 0 : 2) | (Internal ? 4 : 0) | (Target is null ? 0 : 8) | (Value is null ? 0 : 16)));
        w.WriteUInt16(Tid);
        w.WriteIpv4EndPoint(To);
        if (Id is not null) w.WriteFixed(Id.AsSpan(0, DhtWire.KeySize));
        if (Token is not null) w.WriteFixed(Token.AsSpan(0, DhtWire.KeySize));
        w.WriteUInt(Command);
        if (Target is not null) w.WriteFixed(Target.AsSpan(0, DhtWire.KeySize));
        if (Value is not null) w.WriteBuffer(Value);
        return w.Position;
    }

    /// <summary>Decodes a whole datagram (type byte included). False for anything malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out DhtRequest request)
    {
        request = null!;
        if (datagram.Length < 2 || datagram[0] != DhtWire.RequestType) return false;
        var r = new CompactReader(datagram[1..]);
        if (!r.TryReadUInt(out ulong flags)) return false;
        if (!r.TryReadUInt16(out var tid)) return false;
        if (!r.TryReadIpv4EndPoint(out var to)) return false;
        ReadOnlySpan<byte> id = default, token = default, target = default, value = default;
        if ((flags & 1) != 0 && !r.TryReadFixed32(out id)) return false;
        if ((flags & 2) != 0 && !r.TryReadFixed32(out token)) return false;
        if (!r.TryReadUInt(out ulong command)) return false;
        if ((flags & 8) != 0 && !r.TryReadFixed32(out target)) return false;
        if ((flags & 16) != 0 && !r.TryReadBuffer(out value)) return false;
        request = new DhtRequest
        {
            Tid = tid,
            To = to,
            Id = (flags & 1) != 0 ? id.ToArray() : null,
            Token = (flags & 2) != 0 ? token.ToArray() : null,
            Internal = (flags & 4) != 0,
            Command = command,
            Target = (flags & 8) != 0 ? target.ToArray() : null,
            Value = (flags & 16) != 0 ? value.ToArray() : null,
        };
        return true;
    }
}

/// <summary>A decoded or to-be-sent dht-rpc response.</summary>
public sealed class DhtResponse
{
    public ushort Tid { get; init; }

    /// <summary>The requester's address as the responder saw it (a NAT sample for the requester).</summary>
    public Ipv4EndPoint To { get; init; }

    /// <summary>Responder's node id; after decoding, null unless it matches the source address.</summary>
    public byte[]? Id { get; set; }

    public byte[]? Token { get; init; }

    public IReadOnlyList<Ipv4EndPoint>? CloserNodes { get; init; }

    public ulong Error { get; init; }

    public byte[]? Value { get; init; }

    public int EncodedLength => 1 + 1 + 2 + Ipv4EndPoint.Size
        + (Id is null ? 0 : DhtWire.KeySize)
        + (Token is null ? 0 : DhtWire.KeySize)
        + (CloserNodes is { Count: > 0 } ? CompactSize.Ipv4EndPoints(CloserNodes.Count) : 0)
        + (Error > 0 ? CompactSize.UInt(Error) : 0)
        + (Value is null ? 0 : CompactSize.Buffer(Value.Length));

    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        Encode(buffer);
        return buffer;
    }

    public int Encode(Span<byte> destination)
    {
        var closer = CloserNodes is { Count: > 0 };
        var w = new CompactWriter(destination);
        w.WriteByte(DhtWire.ResponseType);
        w.WriteUInt((ulong)((Id is null ? 0 : 1) | (Token is null ? 0 : 2) | (closer ? 4 : 0) | (Error > 0 ? 8 : 0) | (Value is null ? 0 : 16)));
        w.WriteUInt16(Tid);
        w.WriteIpv4EndPoint(To);
        if (Id is not null) w.WriteFixed(Id.AsSpan(0, DhtWire.KeySize));
        if (Token is not null) w.WriteFixed(Token.AsSpan(0, DhtWire.KeySize));
        if (closer) w.WriteIpv4EndPoints(CloserNodes!);
        if (Error > 0) w.WriteUInt(Error);
        if (Value is not null) w.WriteBuffer(Value);
        return w.Position;
    }

    public static bool TryDecode(ReadOnlySpan<byte> datagram, out DhtResponse response)
    {
        response = null!;
        if (datagram.Length < 2 || datagram[0] != DhtWire.ResponseType) return false;
        var r = new CompactReader(datagram[1..]);
        if (!r.TryReadUInt(out ulong flags)) return false;
        if (!r.TryReadUInt16(out var tid)) return false;
        if (!r.TryReadIpv4EndPoint(out var to)) return false;
        ReadOnlySpan<byte> id = default, token = default, value = default;
        List<Ipv4EndPoint>? closer = null;
        ulong error = 0;
        if ((flags & 1) != 0 && !r.TryReadFixed32(out id)) return false;
        if ((flags & 2) != 0 && !r.TryReadFixed32(out token)) return false;
        if ((flags & 4) != 0 && !r.TryReadIpv4EndPoints(out closer)) return false;
        if ((flags & 8) != 0 && !r.TryReadUInt(out error)) return false;
        if ((flags & 16) != 0 && !r.TryReadBuffer(out value)) return false;
        response = new DhtResponse
        {
            Tid = tid,
            To = to,
            Id = (flags & 1) != 0 ? id.ToArray() : null,
            Token = (flags & 2) != 0 ? token.ToArray() : null,
            CloserNodes = closer,
            Error = error,
            Value = (flags & 16) != 0 ? value.ToArray() : null,
        };
        return true;
    }
}
