using System.Diagnostics;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using Cabal.Net.Udx;
using Xunit.Abstractions;
using static Cabal.Interop.Tests.Udx.UdxTestKit;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// Holepunching through simulated NATs (NatSimulator on 127.0.0.1, one per peer) on a DHT of C# nodes: two
/// C# peers behind consistent NATs connect by punching; behind two randomising NATs they fail with
/// HOLEPUNCH_DOUBLE_RANDOMIZED_NATS, promptly.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class HolepunchTests(ITestOutputHelper output) : JsInteropTest
{
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    private async Task<HyperDht> StartBehindAsync(CSharpTestnet testnet, NatSimulator nat)
    {
        var dht = Track(new HyperDht(testnet.Options() with { Udx = new UdxOptions { Tunnel = new UdxTunnel(nat.Gateway) } }));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        Assert.True(dht.Node.Firewalled, "a peer behind a NAT is firewalled");
        return dht;
    }

    private async Task<(HyperDht Server, HyperDht Client, HyperDhtServer Listener, List<HyperDhtConnection> Accepted, NatSimulator NatA, NatSimulator NatB)> PeersBehindAsync(NatBehaviour behaviour)
    {
        var testnet = Track(await CSharpTestnet.StartAsync(5));
        var natA = Track(new NatSimulator(behaviour));
        var natB = Track(new NatSimulator(behaviour));
        var server = await StartBehindAsync(testnet, natA);
        var client = await StartBehindAsync(testnet, natB);
        var accepted = new List<HyperDhtConnection>();
        var listener = server.Listen(onConnection: c =>
        {
            lock (accepted) accepted.Add(c);
            _ = EchoAsync(c);
        });
        await Js.Loopback.Eventually(() => listener.Relays.Count > 0, "the server's self-announce through its NAT", Bound);
        output.WriteLine($"server NAT {natA}; client NAT {natB}");
        return (server, client, listener, accepted, natA, natB);
    }

    [Fact]
    public async Task PeersBehindConsistentNatsConnectByHolepunching()
    {
        var (server, client, listener, accepted, natA, natB) = await PeersBehindAsync(NatBehaviour.Consistent);

        await using var connection = await client.ConnectAsync(server.DefaultKeyPair.PublicKey).WaitAsync(Bound);
        output.WriteLine($"{connection}: {connection.HolepunchRounds} rounds; client punches {client.PunchStats.ProbeRounds} probe + {client.PunchStats.PunchRounds} punch rounds");
        Assert.Equal(ConnectionPath.Holepunch, connection.Path);
        Assert.Equal(2, connection.HolepunchRounds);
        Assert.Equal(1, client.PunchStats.ProbeRounds);
        Assert.Equal(1, client.PunchStats.PunchRounds);
        Assert.Equal(1, client.PunchStats.Consistent);
        Assert.Equal(1, server.PunchStats.Consistent);

        var read = ReadAllAsync(connection.Input);
        await WritePatternAsync(connection.Output, 256 << 10);
        Assert.Equal((256L << 10, PatternSha256(256 << 10)), await read.WaitAsync(Bound));
        lock (accepted) Assert.Equal(ConnectionPath.Holepunch, Assert.Single(accepted).Path);
        Assert.Equal(1, listener.Connections);
        output.WriteLine($"server NAT {natA}; client NAT {natB}");
        // The NATs did their job: the client's first punch hit the server's NAT before the server had punched
        // towards it, and its low-TTL session openers died on the way.
        Assert.True(natA.DroppedUnsolicited >= 1, "unsolicited datagrams were dropped at the server's NAT");
        Assert.True(natB.DroppedLowTtl >= 1, "the client's TTL-5 probes only opened its NAT");
    }

    [Fact]
    public async Task PeersBehindTwoRandomisingNatsFailClearlyAndPromptly()
    {
        var (server, client, listener, _, natA, natB) = await PeersBehindAsync(NatBehaviour.Random);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<HyperDhtException>(() => client.ConnectAsync(server.DefaultKeyPair.PublicKey).WaitAsync(Bound));
        output.WriteLine($"{error.Message} after {clock.Elapsed.TotalSeconds:F1} s; client punches {client.PunchStats.ProbeRounds} probe rounds");
        Assert.Equal("HOLEPUNCH_DOUBLE_RANDOMIZED_NATS", error.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the failure is prompt, not a timeout");
        Assert.Equal(0, listener.Connections);
        Assert.Equal(0, client.PunchStats.PunchRounds);
        output.WriteLine($"server NAT {natA}; client NAT {natB}");
        Assert.True(natA.Mappings > 1 && natB.Mappings > 1, "a randomising NAT maps every destination to a new port");
        // The server drops its stream once the client gave up (an ABORTED round), well before its own timeout.
        await Js.Loopback.Eventually(() => server.Udx!.StreamCount == 0, "the server's stream for the failed attempt to go", Bound);
    }
}
