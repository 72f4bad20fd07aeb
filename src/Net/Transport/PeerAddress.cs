// A peer to dial, as the user types it: HOST:PORT, [IPv6]:PORT. Hosts are kept as text so DNS names
// are resolved at every attempt (a peer's address may change while we retry). Parsing is strict and
// explains what is wrong, because these strings come from command lines and config files.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Transport;

public sealed record PeerAddress
{
    private PeerAddress(string host, int port)
    {
        Host = host;
        Port = port;
    }

    /// <summary>IP literal (IPv6 without brackets) or DNS name, lower case.</summary>
    public string Host { get; }

    /// <summary>TCP port, 1–65535.</summary>
    public int Port { get; }

    /// <summary>The address for an endpoint (port must be 1–65535).</summary>
    public static PeerAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.Port is < 1 or > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException(nameof(endPoint), "The port must be 1–65535.");
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        return new PeerAddress(address.ToString().ToLowerInvariant(), endPoint.Port);
    }

    /// <summary>Parses HOST:PORT or [IPv6]:PORT; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static PeerAddress Parse(string text)
        => TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PeerAddress? address, out string? error)
    {
        address = null;
        error = Validate(text?.Trim(), out var host, out var port);
        if (error is not null) return false;
        address = new PeerAddress(host!, port);
        return true;
    }

    /// <summary>
    /// Parses a list separated by commas and/or whitespace. Duplicates are dropped; every bad item is
    /// reported in one <see cref="FormatException"/>.
    /// </summary>
    public static IReadOnlyList<PeerAddress> ParseList(string? text)
    {
        var items = (text ?? "").Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var result = new List<PeerAddress>();
        var errors = new List<string>();
        foreach (var item in items)
        {
            if (TryParse(item, out var address, out var error))
            {
                if (!result.Contains(address)) result.Add(address);
            }
            else errors.Add(error!);
        }
        if (errors.Count > 0) throw new FormatException(string.Join(Environment.NewLine, errors));
        return result;
    }

    /// <summary>The host as an IP address, when it is a literal.</summary>
    public IPAddress? LiteralAddress => System.Net.IPAddress.TryParse(Host, out var ip) ? ip : null;

    /// <summary>The endpoint to connect to: an <see cref="IPEndPoint"/> for literals, else a <see cref="DnsEndPoint"/>.</summary>
    public EndPoint ToEndPoint() => LiteralAddress is { } ip ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);

    public override string ToString()
        => LiteralAddress is { AddressFamily: AddressFamily.InterNetworkV6 } ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static string? Validate(string? text, out string? host, out int port)
    {
        host = null;
        port = 0;
        if (string.IsNullOrEmpty(text)) return "Empty peer address; expected HOST:PORT.";

        string hostPart, portPart;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']');
            if (close < 0) return $"'{text}': missing ']' after the IPv6 address.";
            hostPart = text[1..close];
            if (close + 1 >= text.Length || text[close + 1] != ':') return $"'{text}': missing port; expected [IPv6]:PORT.";
            portPart = text[(close + 2)..];
            if (!System.Net.IPAddress.TryParse(hostPart, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return $"'{text}': '{hostPart}' is not an IPv6 address.";
            host = v6.ToString().ToLowerInvariant();
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0) return $"'{text}': missing port; expected HOST:PORT.";
            hostPart = text[..colon];
            portPart = text[(colon + 1)..];
            if (hostPart.Contains(':')) return $"'{text}': write IPv6 addresses in brackets, e.g. [::1]:{portPart}.";
            if (hostPart.Length == 0) return $"'{text}': missing host; expected HOST:PORT.";
            var hostError = ValidateHost(hostPart);
            if (hostError is not null) return $"'{text}': {hostError}";
            host = hostPart.ToLowerInvariant();
        }

        if (portPart.Length == 0 || portPart.Length > 5 || !portPart.All(char.IsAsciiDigit)
            || !int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            port = 0;
            host = null;
            return $"'{text}': the port must be a number from 1 to 65535, got '{portPart}'.";
        }
        return null;
    }

    private static string? ValidateHost(string host)
    {
        // Anything made only of digits and dots is meant as IPv4; IPAddress.TryParse would also accept
        // shorthands such as "10.1" (= 10.0.0.1), which surprise more than they help.
        if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            var parts = host.Split('.');
            var ok = parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
            return ok ? null : $"'{host}' is not a valid IPv4 address.";
        }
        if (host.Length > 253 || Uri.CheckHostName(host) != UriHostNameType.Dns) return $"'{host}' is not a valid host name.";
        return null;
    }
}
