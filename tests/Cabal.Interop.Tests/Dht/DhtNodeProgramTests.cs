using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Interop.Tests.Legacy;
using Cabal.Interop.Tests.Program;
using Cabal.Net.HyperDht;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using static Cabal.Tests.TestPaths;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// `cabal dht-node` as operators run it: a network made only of dht-node processes on 127.0.0.1 carries
/// C# and JS announcements, lookups and connections; it stops cleanly on a signal; bad arguments and a
/// taken port are refused before it joins anything.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class DhtNodeProgramTests : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    [Fact]
    public async Task CSharpPeersAnnounceLookUpAndConnectAcrossDhtNodeProcesses()
    {
        var network = Track(await DhtNodeNetwork.StartAsync(4, "--stats-interval", "1"));
        Assert.All(network.Nodes, n => Assert.Equal("127.0.0.1", n.Host));

        var server = Track(new HyperDht(DhtTestnet.Options(network.Bootstrap) with { QuickFirewall = false }));
        var client = Track(new HyperDht(DhtTestnet.Options(network.Bootstrap) with { QuickFirewall = false }));
        await Task.WhenAll(server.StartAsync(), client.StartAsync());
        await Task.WhenAll(server.WaitReadyAsync(), client.WaitReadyAsync()).WaitAsync(Bound);
        Assert.True(client.Node.Table.Count >= 3, $"the client knows the dht-node processes ({client.Node.Table.Count})");

        var topic = RandomNumberGenerator.GetBytes(32);
        var keyPair = HyperDhtKeys.KeyPair();
        var listener = server.Listen(keyPair, c => _ = EchoAsync(c));
        await Loopback.Eventually(() => listener.RelayAddresses.Count > 0, "the server's routes on the dht-node processes", Bound);
        var announced = await server.AnnounceAsync(topic, keyPair, listener.RelayAddresses).WaitAsync(Bound);
        Assert.NotEmpty(announced.Nodes);
        Assert.All(announced.Nodes, n => Assert.Contains(network.Nodes, d => d.Port == n.Port));

        var found = await client.LookupAsync(topic).WaitAsync(Bound);
        var peer = Assert.Single(found.Peers);
        Assert.Equal(keyPair.PublicKey, peer.PublicKey);
        await using (var connection = await client.ConnectAsync(peer.PublicKey).WaitAsync(Bound))
        {
            var read = ReadAllAsync(connection.Input);
            await WritePatternAsync(connection.Output, 256 << 10);
            Assert.Equal((256L << 10, PatternSha256(256 << 10)), await read.WaitAsync(Bound));
        }

        // The processes say what they hold: some store the record, and they served the requests.
        var stored = await Task.WhenAny(network.Nodes.Select(n => n.WaitForEventAsync("stats", Bound, e => e.GetProperty("records").GetInt32() > 0)));
        Assert.True((await stored).GetProperty("requests").GetInt64() > 0);
    }

    [FactRequiring("node")]
    public async Task JsAnnouncesAndLooksUpOnDhtNodeProcessesOnly()
    {
        var network = Track(await DhtNodeNetwork.StartAsync(4));
        var topic = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var announcer = Track(DhtTestnet.Peer(network.Bootstrap, "--announce-only", ToHex(topic), "--seed", ToHex(seed), "--timeout", "120"));
        var announced = await announcer.WaitForEventAsync("announced", Bound);
        Assert.True(announced.GetProperty("nodes").GetInt32() >= 1, "at least one dht-node stored the record");

        var lookup = Track(DhtTestnet.Peer(network.Bootstrap, "--lookup", ToHex(topic), "--expect", "1", "--timeout", "30"));
        var peer = await lookup.WaitForEventAsync("peer", Bound);
        Assert.Equal(ToHex(HyperDhtKeys.KeyPair(seed).PublicKey), peer.GetProperty("publicKey").GetString());
        Assert.Equal(0, await lookup.WaitForExitAsync(Bound));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(2)]
    public async Task StopsCleanlyOnSigtermAndSigint(int signal)
    {
        var node = Track(await DhtNodeProcess.StartAsync(["--bootstrap", "none", "--host", "127.0.0.1", "--port", "0"]));
        var ready = await node.WaitForEventAsync("bootstrapped", Bound);
        Assert.True(ready.GetProperty("persistent").GetBoolean(), "a network's first node is persistent at once");
        Assert.Equal($"127.0.0.1:{node.Port}", ready.GetProperty("address").GetString());
        node.Process.Signal(signal);
        await node.WaitForEventAsync("exit", Bound);
        Assert.Equal(0, await node.Process.WaitForExitAsync(Bound));
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--host", "1.2")]
    [InlineData("--host", "::1")]
    [InlineData("--bootstrap", "none")] // a first node needs --host
    [InlineData("--bootstrap", "127.0.0.1")]
    [InlineData("--bootstrap", "127.0.0.1:0")]
    [InlineData("--stats-interval", "0")]
    public async Task BadArgumentsAreAUsageErrorBeforeAnySocketIsBound(string option, string value)
    {
        // The port is taken: had the node bound anything first, it would fail with 69, not 64.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] args = option == "--port"
            ? ["dht-node", option, value, "--host", "127.0.0.1", "--bootstrap", "127.0.0.1:9", "--json"]
            : ["dht-node", "--port", port, option, value, .. option == "--bootstrap" ? Array.Empty<string>() : ["--bootstrap", "127.0.0.1:9"], "--json"];
        var r = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), args);
        r.AssertExit(64);
        Assert.Contains("\"error\":\"usage\"", Assert.Single(r.Stdout));
    }

    [Fact]
    public async Task ATakenPortIsRefusedWithExit69()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var r = await CabalProgram.RunAsync(TimeSpan.FromSeconds(30), "dht-node", "--port", port, "--bootstrap", "none", "--host", "127.0.0.1", "--json");
        r.AssertExit(69);
        Assert.Contains("\"error\":\"port-in-use\"", Assert.Single(r.Stdout));
    }
}
