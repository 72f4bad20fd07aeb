// What `cabal dht-node` runs with, checked from its raw option values before any socket is opened
// (a pure TryCreate, so the unit tests cover every refusal without a process).
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;

namespace Cabal.Cli;

/// <summary>A standalone persistent HyperDHT node's settings.</summary>
/// <param name="Host">The IPv4 address both DHT sockets bind to.</param>
/// <param name="Port">The UDP port of the server socket; 0 is any free port.</param>
/// <param name="Bootstrap">Nodes to join through; empty with <paramref name="FirstNode"/>, null for the public list.</param>
/// <param name="FirstNode">`--bootstrap none`: the first node of a new network (its bound address is its public one).</param>
internal sealed record DhtNodeSettings(IPAddress Host, int Port, IReadOnlyList<string>? Bootstrap, bool FirstNode)
{
    /// <summary>The word that makes a node the first of a new network.</summary>
    public const string None = "none";

    /// <summary>
    /// Checks the raw values: <paramref name="port"/> 0–65535 (null: hyperdht's 49737);
    /// <paramref name="host"/> an IPv4 address (null: 127.0.0.1 when every bootstrap node is on loopback,
    /// else 0.0.0.0); each bootstrap "host:port" or "address@name:port", or `none` alone, which needs a
    /// specific --host. False with a one-line <paramref name="error"/> for the first problem found.
    /// </summary>
    public static bool TryCreate(int? port, string? host, IReadOnlyList<string> bootstrap, out DhtNodeSettings? settings, out string? error)
    {
        settings = null;
        var p = port ?? HyperDhtOptions.DefaultPort;
        if (p is < 0 or > 65535) return Fail($"--port {p} is out of range; give 0 (any free port) to 65535", out error);

        IPAddress? address = null;
        if (host is not null)
        {
            if (!IPAddress.TryParse(host, out address) || address.AddressFamily != AddressFamily.InterNetwork || !Ipv4EndPoint4(host))
                return Fail($"--host '{Shorten(host)}' is not an IPv4 address (e.g. 0.0.0.0 or 127.0.0.1)", out error);
        }

        var first = bootstrap.Any(b => string.Equals(b.Trim(), None, StringComparison.OrdinalIgnoreCase));
        if (first)
        {
            if (bootstrap.Count > 1) return Fail("--bootstrap none starts a new network: give it alone, without other bootstrap nodes", out error);
            if (address is null || address.Equals(IPAddress.Any))
                return Fail("--bootstrap none needs --host ADDRESS, the address other nodes reach this one at: a network's first node has nobody to learn it from", out error);
            settings = new DhtNodeSettings(address, p, [], true);
            error = null;
            return true;
        }

        var nodes = new List<BootstrapNode>();
        foreach (var b in bootstrap)
        {
            try { nodes.Add(BootstrapNode.Parse(b.Trim())); }
            catch (FormatException) { return Fail($"--bootstrap '{Shorten(b)}' is not HOST:PORT (port 1–65535), ADDRESS@NAME:PORT or none", out error); }
        }
        address ??= nodes.Count > 0 && nodes.All(IsLoopback) ? IPAddress.Loopback : IPAddress.Any;
        settings = new DhtNodeSettings(address, p, nodes.Count == 0 ? null : [.. bootstrap.Select(b => b.Trim())], false);
        error = null;
        return true;
    }

    /// <summary>The HyperDHT options: always persistent (Ephemeral = false), so others may bootstrap from it.</summary>
    public HyperDhtOptions ToOptions(Microsoft.Extensions.Logging.ILoggerFactory logging)
    {
        var options = new HyperDhtOptions
        {
            Host = Host,
            Port = Port,
            Ephemeral = false,
            IsBootstrapNode = FirstNode,
            LoggerFactory = logging,
        };
        return Bootstrap is null ? options : options with { Bootstrap = Bootstrap };
    }

    private static bool IsLoopback(BootstrapNode node)
        => node.Address is { } a ? a >> 24 == 127 : string.Equals(node.Host, "localhost", StringComparison.OrdinalIgnoreCase);

    // IPAddress.TryParse also takes "1", "1.2" and hex forms; an address to bind must be a dotted quad.
    private static bool Ipv4EndPoint4(string host) => Cabal.Net.Compact.Ipv4EndPoint.TryParseHost(host, out _);

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
