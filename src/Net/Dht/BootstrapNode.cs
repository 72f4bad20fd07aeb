// A bootstrap entry as dht-rpc accepts them: "host:port" or "suggestedIP@hostname:port".
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed record BootstrapNode(string Host, int Port, uint? Address)
{
    public static BootstrapNode Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"Bootstrap node '{text}' is not host:port.");
        var host = text[..colon];
        var at = host.IndexOf('@');
        if (at >= 0)
        {
            if (!Ipv4EndPoint.TryParseHost(host.AsSpan(0, at), out var suggested)) throw new FormatException($"Bootstrap node '{text}' has a malformed address before '@'.");
            return new BootstrapNode(host[(at + 1)..], port, suggested);
        }
        return new BootstrapNode(host, port, Ipv4EndPoint.TryParseHost(host, out var address) ? address : null);
    }

    /// <summary>The IPv4 address: given, or from DNS.</summary>
    public async Task<Ipv4EndPoint?> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Address is { } a) return new Ipv4EndPoint(a, (ushort)Port);
        var addresses = await Dns.GetHostAddressesAsync(Host, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
        return addresses.Length == 0 ? null : Ipv4EndPoint.FromIPEndPoint(new IPEndPoint(addresses[0], Port));
    }

    public override string ToString() => $"{Host}:{Port}";
}
