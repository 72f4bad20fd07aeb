using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.Dht;

/// <summary>
/// Node A of dht-vectors.json (a persistent node with fixed token secrets and a four-node table) on an
/// in-memory network, so its replies can be compared with the JS ones byte for byte.
/// </summary>
public sealed class VectorNodes : IAsyncDisposable
{
    private VectorNodes(MemoryNetwork network, DhtNode node)
    {
        Network = network;
        Node = node;
    }

    public MemoryNetwork Network { get; }
    public DhtNode Node { get; }

    private static JsonElement Nodes => DhtVectors.GetProperty("dhtRpc").GetProperty("nodes");

    public static Ipv4EndPoint AddressOf(string node)
    {
        var a = Nodes.GetProperty(node).GetProperty("address");
        return Ipv4EndPoint.Parse(a.GetProperty("host").GetString() + ":" + a.GetProperty("port").GetInt32());
    }

    /// <summary>The host:port inside a vector's "from" text ("NAME HOST:PORT (which socket)").</summary>
    public static Ipv4EndPoint Source(string text) => Ipv4EndPoint.Parse(text.Split(' ')[1]);

    public static Ipv4EndPoint Address(string text) => Ipv4EndPoint.Parse(text.Trim());

    /// <summary>
    /// Starts A, as a plain dht-rpc node or with hyperdht's commands. Like the JS generator (which stubs
    /// _addNodeFromNetwork), A does not learn nodes from the traffic, so its table stays the vectors' four.
    /// </summary>
    public static async Task<VectorNodes> StartNodeAAsync(bool withHyperDht = false)
    {
        var network = new MemoryNetwork(deliver: false);
        var a = AddressOf("A");
        var options = new DhtNodeOptions
        {
            Host = a.ToIPEndPoint().Address,
            Port = a.Port,
            IsBootstrapNode = true,
            PortRange = 1,
            SocketFactory = network,
            FilterNode = _ => false,
        };
        Cabal.Net.HyperDht.HyperDht? hyper = null;
        DhtNode node;
        if (withHyperDht)
        {
            hyper = new Cabal.Net.HyperDht.HyperDht(new Cabal.Net.HyperDht.HyperDhtOptions { NodeOptions = options });
            node = hyper.Node;
        }
        else
        {
            node = new DhtNode(options);
        }
        IAsyncDisposable? extra = hyper;
        await node.StartAsync();
        await node.WaitBootstrappedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(node.Ephemeral);
        Assert.Equal(Nodes.GetProperty("A").GetProperty("id").GetString(), ToHex(node.Id!));
        var secrets = Nodes.GetProperty("A").GetProperty("tokenSecrets");
        node.SetTokenSecrets(Hex(secrets[0].GetString()!), Hex(secrets[1].GetString()!));
        foreach (var t in Nodes.GetProperty("tableOfA").EnumerateArray())
            node.AddNode(Ipv4EndPoint.Parse(t.GetProperty("host").GetString() + ":" + t.GetProperty("port").GetInt32()));
        network.ClearSent();
        return new VectorNodes(network, node) { _extra = extra, HyperDht = hyper };
    }

    private IAsyncDisposable? _extra;

    public Cabal.Net.HyperDht.HyperDht? HyperDht { get; private init; }

    /// <summary>Waits (bounded) until the node has sent <paramref name="hex"/> to <paramref name="to"/>, and nothing else.</summary>
    public async Task ExpectSentAsync(string hex, Ipv4EndPoint to)
    {
        var sw = Stopwatch.StartNew();
        while (Network.Sent.Count == 0 && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        var sent = Assert.Single(Network.Sent);
        Assert.Equal(hex, ToHex(sent.Data));
        Assert.Equal(to.ToIPEndPoint(), sent.To);
        Network.ClearSent();
    }

    public async ValueTask DisposeAsync()
    {
        if (_extra is not null) await _extra.DisposeAsync();
        else await Node.DisposeAsync();
        await Network.DisposeAsync();
    }
}
