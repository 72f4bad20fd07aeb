using System.Net;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// A JS HyperDHT testnet (../shared/interop/dht-testnet.js) on 127.0.0.1, and options for C# nodes that
/// join it: always Host 127.0.0.1 and the testnet's loopback bootstrap, never a default list.
/// </summary>
public sealed class DhtTestnet : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly JsPeer _process;

    private DhtTestnet(JsPeer process, string bootstrap)
    {
        _process = process;
        Bootstrap = bootstrap;
    }

    /// <summary>"127.0.0.1:PORT" of the first node.</summary>
    public string Bootstrap { get; }

    public static async Task<DhtTestnet> StartAsync(int nodes = 5)
    {
        var process = JsPeer.Start("dht-testnet.js", "--nodes", nodes.ToString(), "--timeout", "600");
        try
        {
            var e = await process.WaitForEventAsync("testnet", Timeout);
            var bootstrap = e.GetProperty("bootstrap").GetString()!;
            Assert.StartsWith("127.0.0.1:", bootstrap);
            return new DhtTestnet(process, bootstrap);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Options for a C# node on this testnet (or any loopback bootstrap).</summary>
    public static HyperDhtOptions Options(string bootstrap, bool? ephemeral = true, ILoggerFactory? logs = null) => new()
    {
        Host = IPAddress.Loopback,
        Port = 0,
        Bootstrap = [bootstrap],
        Ephemeral = ephemeral,
        LoggerFactory = logs ?? NullLoggerFactory.Instance,
    };

    public HyperDhtOptions Options(bool? ephemeral = true) => Options(Bootstrap, ephemeral);

    /// <summary>hyperdht-peer.js with the testnet's bootstrap.</summary>
    public static JsPeer Peer(string bootstrap, params string[] args)
        => JsPeer.Start("hyperdht-peer.js", [.. args, "--bootstrap", bootstrap]);

    public JsPeer Peer(params string[] args) => Peer(Bootstrap, args);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
