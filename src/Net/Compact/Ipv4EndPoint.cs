// compact-encoding's ipv4Address (compact-encoding-net 1.3.0): 4 address octets in dotted order, then
// the port as u16 LITTLE-endian, 6 bytes in all. dht-rpc and hyperdht use it for every address on the
// wire (spec/hyperswarm.md §1): 127.0.0.1:49737 -> 7f000001 49c2.
// A value type rather than IPEndPoint because routing tables, queries and tokens handle many of them:
// equality, hashing and formatting here allocate nothing.
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Compact;

public readonly record struct Ipv4EndPoint(uint Address, ushort Port)
{
    /// <summary>Encoded size: 4 address bytes + 2 port bytes.</summary>
    public const int Size = 6;

    /// <summary>Longest dotted-quad host string ("255.255.255.255").</summary>
    public const int MaxHostLength = 15;

    public static Ipv4EndPoint Loopback(int port) => new(0x7f000001, checked((ushort)port));

    public byte A => (byte)(Address >> 24);
    public byte B => (byte)(Address >> 16);
    public byte C => (byte)(Address >> 8);
    public byte D => (byte)Address;

    /// <summary>127.0.0.0/8: this machine.</summary>
    public bool IsLoopback => A == 127;

    public static Ipv4EndPoint FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = endPoint.Address;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"{endPoint} is not an IPv4 address.", nameof(endPoint));
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return new Ipv4EndPoint(BinaryPrimitives.ReadUInt32BigEndian(b), (ushort)endPoint.Port);
    }

    /// <summary>Like <see cref="FromIPEndPoint"/>, false instead of throwing for IPv6.</summary>
    public static bool TryFromIPEndPoint(IPEndPoint endPoint, out Ipv4EndPoint result)
    {
        var address = endPoint.Address;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            result = default;
            return false;
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        result = new Ipv4EndPoint(BinaryPrimitives.ReadUInt32BigEndian(b), (ushort)endPoint.Port);
        return true;
    }

    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, Address);
        return new IPEndPoint(new IPAddress(b), Port);
    }

    /// <summary>"a.b.c.d:port"; the host must be a dotted IPv4 quad.</summary>
    public static Ipv4EndPoint Parse(string text)
    {
        if (!TryParse(text, out var result)) throw new FormatException($"'{text}' is not an IPv4 host:port.");
        return result;
    }

    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4EndPoint result)
    {
        result = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
        if (!TryParseHost(text[..colon], out var address)) return false;
        result = new Ipv4EndPoint(address, port);
        return true;
    }

    /// <summary>Parses a strict dotted quad (four decimal octets).</summary>
    public static bool TryParseHost(ReadOnlySpan<char> host, out uint address)
    {
        address = 0;
        var parts = 0;
        while (true)
        {
            var dot = host.IndexOf('.');
            var part = dot < 0 ? host : host[..dot];
            if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var octet)) return false;
            address = (address << 8) | octet;
            parts++;
            if (dot < 0) break;
            host = host[(dot + 1)..];
        }
        return parts == 4;
    }

    /// <summary>
    /// Writes the host as ASCII ("127.0.0.1") and returns its length. dht-rpc's write tokens and
    /// hyperdht's holepunch tokens hash exactly this string (the JS `Buffer.from(host)`).
    /// </summary>
    public int WriteHostAscii(Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i > 0) destination[n++] = (byte)'.';
            var octet = (byte)(Address >> (24 - 8 * i));
            if (octet >= 100) destination[n++] = (byte)('0' + octet / 100);
            if (octet >= 10) destination[n++] = (byte)('0' + octet / 10 % 10);
            destination[n++] = (byte)('0' + octet % 10);
        }
        return n;
    }

    public string Host => $"{A}.{B}.{C}.{D}";

    public override string ToString() => $"{A}.{B}.{C}.{D}:{Port}";
}
