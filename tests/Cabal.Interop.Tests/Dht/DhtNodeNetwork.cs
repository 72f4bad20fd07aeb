using Cabal.Interop.Tests.Program;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// A HyperDHT network made only of `cabal dht-node` processes on 127.0.0.1: the first started with
/// `--bootstrap none --host 127.0.0.1 --port 0`, the others with `--bootstrap 127.0.0.1:P0 --port 0`
/// (so they bind 127.0.0.1 too). Returned once every node says it is bootstrapped and persistent.
/// Disposing kills them all.
/// </summary>
public sealed class DhtNodeNetwork : IAsyncDisposable
{
    private DhtNodeNetwork(List<DhtNodeProcess> nodes) => Nodes = nodes;

    public List<DhtNodeProcess> Nodes { get; }

    /// <summary>"127.0.0.1:P0", the first node.</summary>
    public string Bootstrap => "127.0.0.1:" + Nodes[0].Port;

    public static async Task<DhtNodeNetwork> StartAsync(int size, params string[] extra)
    {
        var network = new DhtNodeNetwork([]);
        try
        {
            var first = await DhtNodeProcess.StartAsync(["--bootstrap", "none", "--host", "127.0.0.1", "--port", "0", .. extra]);
            network.Nodes.Add(first);
            for (var i = 1; i < size; i++)
                network.Nodes.Add(await DhtNodeProcess.StartAsync(["--bootstrap", network.Bootstrap, "--port", "0", .. extra]));
            foreach (var node in network.Nodes)
            {
                var ready = await node.WaitForEventAsync("bootstrapped", DhtTestnet.Timeout);
                if (!ready.GetProperty("persistent").GetBoolean()) await node.WaitForEventAsync("persistent", DhtTestnet.Timeout);
            }
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) await n.DisposeAsync();
    }
}

/// <summary>One `cabal dht-node --json` process: its events, read as they come.</summary>
public sealed class DhtNodeProcess : ProgramEvents
{
    private DhtNodeProcess(ChildProcess process) : base(process, "dht-node") { }

    public string Host { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>Starts `cabal dht-node ARGS… --json` and waits for its `listening` event.</summary>
    public static async Task<DhtNodeProcess> StartAsync(string[] args)
    {
        var node = new DhtNodeProcess(CabalProgram.Start(["dht-node", .. args, "--json"]));
        try
        {
            var listening = await node.WaitForEventAsync("listening", DhtTestnet.Timeout);
            node.Host = listening.GetProperty("host").GetString()!;
            node.Port = listening.GetProperty("port").GetInt32();
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }
}
