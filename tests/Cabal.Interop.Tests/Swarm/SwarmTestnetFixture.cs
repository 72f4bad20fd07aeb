using Cabal.Chat.Node;
using Cabal.Interop.Tests.Dht;
using Cabal.Net.Swarm;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>
/// One JS HyperDHT testnet (dht-testnet.js, 5 nodes on 127.0.0.1) shared by every test of a class: starting
/// one costs about a second and five node processes, so a class pays it once.
/// </summary>
public sealed class SwarmTestnetFixture : IAsyncLifetime
{
    private DhtTestnet? _testnet;

    /// <summary>"127.0.0.1:PORT" of the testnet's first node.</summary>
    public string Bootstrap => (_testnet ?? throw new InvalidOperationException("The testnet is not started.")).Bootstrap;

    public async Task InitializeAsync() => _testnet = await DhtTestnet.StartAsync(5);

    public async Task DisposeAsync()
    {
        if (_testnet is not null) await _testnet.DisposeAsync();
    }

    /// <summary>
    /// A node's DHT settings for a loopback bootstrap: never the default list; the sockets then bind
    /// 127.0.0.1 (DhtSettings.EffectiveHost), on a free port.
    /// </summary>
    public static DhtSettings Dht(string bootstrap, SwarmOptions? swarm = null) => new()
    {
        Bootstrap = [bootstrap],
        Host = System.Net.IPAddress.Loopback,
        Port = 0,
        Swarm = swarm,
    };

    /// <summary>The node network options of a swarm test: DHT on this loopback bootstrap, no LAN, no TCP listener, no peers.</summary>
    public static NetworkOptions Network(string bootstrap, SwarmOptions? swarm = null) => new() { Lan = false, Dht = Dht(bootstrap, swarm) };
}
