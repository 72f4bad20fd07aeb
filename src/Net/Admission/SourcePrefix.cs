// The party behind an address, as well as an address can tell: IPv4 addresses are grouped by /24
// and IPv6 by /64 (one customer's allocation), so a host that holds a block of addresses still
// counts once against the prefix limits. IPv4-mapped IPv6 addresses are read as IPv4.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Admission;

internal static class SourcePrefix
{
    /// <summary>The address as a comparable key (IPv4 when it is a mapped one).</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>A key for the address's /24 (IPv4) or /64 (IPv6).</summary>
    public static UInt128 Of(IPAddress address)
    {
        address = Normalize(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return ((UInt128)1 << 64) | ((ulong)bytes[0] << 16) | ((ulong)bytes[1] << 8) | bytes[2]; // tagged so it never meets an IPv6 key
        UInt128 key = 0;
        for (var i = 0; i < 8 && i < written; i++) key = (key << 8) | bytes[i];
        return ((UInt128)2 << 64) | key;
    }
}
