using System.Net;
using Cabal.Net.HyperDht;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// A DHT of C# nodes on 127.0.0.1: one bootstrap node and persistent storage nodes, every one a full
/// citizen (stores, relays, answers). Bootstrap "127.0.0.1:PORT" of the first.
/// </summary>
public sealed class CSharpTestnet : IAsyncDisposable
{
    private CSharpTestnet(List<HyperDht> nodes) => Nodes = nodes;

    public List<HyperDht> Nodes { get; }

    public string Bootstrap => "127.0.0.1:" + Nodes[0].Node.ServerAddress.Port;

    public static async Task<CSharpTestnet> StartAsync(int size)
    {
        var first = new HyperDht(new HyperDhtOptions { Host = IPAddress.Loopback, Port = 0, Bootstrap = [], IsBootstrapNode = true });
        var testnet = new CSharpTestnet([first]);
        try
        {
            await first.StartAsync();
            await first.WaitReadyAsync().WaitAsync(DhtTestnet.Timeout);
            Assert.False(first.Node.Ephemeral);
            for (var i = 1; i < size; i++)
            {
                var node = new HyperDht(DhtTestnet.Options(testnet.Bootstrap, ephemeral: false));
                testnet.Nodes.Add(node);
                await node.StartAsync();
            }
            foreach (var n in testnet.Nodes) await n.WaitReadyAsync().WaitAsync(DhtTestnet.Timeout);
            Assert.All(testnet.Nodes, n => Assert.False(n.Node.Ephemeral, "every C# testnet node became persistent"));
            Assert.All(testnet.Nodes, n => Assert.NotNull(n.Storage));
            return testnet;
        }
        catch
        {
            await testnet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Options for a C# node on this testnet.</summary>
    public HyperDhtOptions Options(bool? ephemeral = true) => DhtTestnet.Options(Bootstrap, ephemeral);

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) await n.DisposeAsync();
    }
}
