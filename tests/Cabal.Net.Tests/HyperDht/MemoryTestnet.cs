using System.Net;
using Cabal.Net.Tests.Dht;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>A HyperDHT network of C# nodes on an in-memory datagram network: a bootstrap node and persistent storage nodes.</summary>
public sealed class MemoryTestnet : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly List<Cabal.Net.HyperDht.HyperDht> _nodes = [];

    private MemoryTestnet() { }

    public MemoryNetwork Network { get; } = new();

    public IReadOnlyList<Cabal.Net.HyperDht.HyperDht> Nodes => _nodes;

    public string Bootstrap => "127.0.0.1:" + _nodes[0].Node.ServerAddress.Port;

    public static async Task<MemoryTestnet> StartAsync(int persistent = 3, int requestsPerSecondPerHost = 500)
    {
        var t = new MemoryTestnet { RequestsPerSecondPerHost = requestsPerSecondPerHost };
        try
        {
            var first = new Cabal.Net.HyperDht.HyperDht(new Cabal.Net.HyperDht.HyperDhtOptions
            {
                Host = IPAddress.Loopback, Port = 0, Bootstrap = [], IsBootstrapNode = true, SocketFactory = t.Network,
                RequestsPerSecondPerHost = requestsPerSecondPerHost,
            });
            t._nodes.Add(first);
            await first.StartAsync();
            await first.WaitReadyAsync().WaitAsync(Bound);
            for (var i = 0; i < persistent; i++) await t.AddNodeAsync(ephemeral: false);
            return t;
        }
        catch
        {
            await t.DisposeAsync();
            throw;
        }
    }

    public int RequestsPerSecondPerHost { get; private init; } = 500;

    public Cabal.Net.HyperDht.HyperDhtOptions Options(bool? ephemeral) => new()
    {
        Host = IPAddress.Loopback, Port = 0, Bootstrap = [Bootstrap], Ephemeral = ephemeral, SocketFactory = Network,
        RequestsPerSecondPerHost = RequestsPerSecondPerHost,
    };

    public async Task<Cabal.Net.HyperDht.HyperDht> AddNodeAsync(bool? ephemeral = true, Cabal.Net.HyperDht.HyperDhtOptions? options = null)
    {
        var node = new Cabal.Net.HyperDht.HyperDht(options ?? Options(ephemeral));
        _nodes.Add(node);
        await node.StartAsync();
        await node.WaitReadyAsync().WaitAsync(Bound);
        if (ephemeral == false) Assert.False(node.Node.Ephemeral, "the node became persistent");
        return node;
    }

    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        await Network.DisposeAsync();
    }
}
