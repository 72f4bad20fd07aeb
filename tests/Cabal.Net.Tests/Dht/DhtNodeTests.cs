using System.Net;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.Tests.HyperDht;

namespace Cabal.Net.Tests.Dht;

/// <summary>The dht-rpc node on an in-memory network: retries and timeouts, mismatched responses, tokens, rate limits, queries.</summary>
public class DhtNodeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static async Task<DhtNode> StartAsync(MemoryNetwork network, DhtNodeOptions? options = null)
    {
        var node = new DhtNode((options ?? new DhtNodeOptions()) with { Host = IPAddress.Loopback, SocketFactory = network });
        await node.StartAsync();
        await node.WaitBootstrappedAsync().WaitAsync(Bound);
        return node;
    }

    [Fact]
    public async Task RequestsAreRetransmittedIdenticallyThenTimeOut()
    {
        await using var network = new MemoryNetwork();
        await using var node = await StartAsync(network, new DhtNodeOptions { RequestTimeout = TimeSpan.FromMilliseconds(100), Retries = 2 });
        var silent = Ipv4EndPoint.Loopback(9);
        var e = await Assert.ThrowsAsync<DhtRequestException>(() => node.PingAsync(silent).WaitAsync(Bound));
        Assert.Equal("REQUEST_TIMEOUT", e.Code);
        var sends = network.Sent.Where(s => s.To.Port == 9).ToList();
        Assert.Equal(3, sends.Count);
        Assert.All(sends, s => Assert.Equal(sends[0].Data, s.Data));
        Assert.Equal(1, node.Stats.Timeouts);
        Assert.Equal(0, node.InflightCount);
    }

    [Fact]
    public async Task LostRequestsAreRetriedUntilAnswered()
    {
        await using var network = new MemoryNetwork();
        await using var a = await StartAsync(network, new DhtNodeOptions { RequestTimeout = TimeSpan.FromMilliseconds(100) });
        await using var b = await StartAsync(network);
        var dropped = 0;
        network.Drop = (from, to, data) => to.Port == b.ServerAddress.Port && Interlocked.Increment(ref dropped) <= 2;
        var reply = await a.PingAsync(b.ServerAddress).WaitAsync(Bound);
        Assert.Equal(b.ServerAddress, reply.From);
        Assert.Equal(2, a.Stats.Retransmissions);
    }

    [Fact]
    public async Task ResponsesWithAnUnknownTidOrFromTheWrongAddressAreDroppedAndCounted()
    {
        await using var network = new MemoryNetwork();
        await using var a = await StartAsync(network, new DhtNodeOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        var target = Ipv4EndPoint.Loopback(7);
        var ping = a.PingAsync(target);
        await MemoryTestnet.EventuallyAsync(() => network.Sent.Any(s => s.To.Port == 7), "the ping");
        Assert.True(DhtRequest.TryDecode(network.Sent.First(s => s.To.Port == 7).Data, out var req));

        var response = new DhtResponse { Tid = req.Tid, To = Ipv4EndPoint.FromIPEndPoint(a.Socket.LocalEndPoint) }.Encode();
        a.OnDatagram(a.Socket, response, Ipv4EndPoint.Loopback(8));
        a.OnDatagram(a.Socket, new DhtResponse { Tid = (ushort)(req.Tid + 1), To = target }.Encode(), target);
        Assert.Equal(1, a.Stats.ResponsesFromWrongSender);
        Assert.Equal(1, a.Stats.ResponsesUnmatched);
        Assert.False(ping.IsCompleted);

        a.OnDatagram(a.Socket, response, target);
        var reply = await ping.WaitAsync(Bound);
        Assert.Equal(target, reply.From);
    }

    [Fact]
    public async Task PersistentNodesRateLimitEachHost()
    {
        await using var network = new MemoryNetwork();
        await using var node = await StartAsync(network, new DhtNodeOptions { IsBootstrapNode = true, RequestsPerSecondPerHost = 10, RequestBurstPerHost = 20 });
        Assert.False(node.Ephemeral);
        var flooder = new Ipv4EndPoint(0x05060708, 1234);
        for (var i = 0; i < 200; i++)
            node.OnDatagram(node.ServerSocket, new DhtRequest { Tid = (ushort)i, To = node.ServerAddress, Internal = true, Command = DhtCommand.Ping }.Encode(), flooder);
        Assert.InRange(node.Stats.DroppedRateLimited, 170, 180);
        var other = new Ipv4EndPoint(0x05060709, 1234);
        network.ClearSent();
        node.OnDatagram(node.ServerSocket, new DhtRequest { Tid = 1, To = node.ServerAddress, Internal = true, Command = DhtCommand.Ping }.Encode(), other);
        Assert.Contains(network.Sent, s => s.To.Equals(other.ToIPEndPoint()));
    }

    [Fact]
    public async Task TokensAreCheckedAndRotateOut()
    {
        var time = new Cabal.Net.Tests.Transport.ManualTimeProvider();
        await using var network = new MemoryNetwork();
        await using var node = await StartAsync(network, new DhtNodeOptions { IsBootstrapNode = true, Time = time });
        var client = Ipv4EndPoint.Loopback(4444);
        var target = new byte[32];
        network.ClearSent();
        node.OnDatagram(node.ServerSocket, new DhtRequest { Tid = 1, To = node.ServerAddress, Internal = true, Command = DhtCommand.FindNode, Target = target, Token = new byte[32] }.Encode(), client);
        var refused = await SentResponseAsync(network);
        Assert.Equal(DhtErrorCode.InvalidToken, refused.Error);
        Assert.NotNull(refused.Token);

        network.ClearSent();
        node.OnDatagram(node.ServerSocket, new DhtRequest { Tid = 2, To = node.ServerAddress, Internal = true, Command = DhtCommand.FindNode, Target = target, Token = refused.Token }.Encode(), client);
        Assert.Equal(DhtErrorCode.None, (await SentResponseAsync(network)).Error);

        // Two rotations (2 × 10 drains of 750 ms) later the token is no longer accepted.
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(760));
            node.Poll();
        }
        network.ClearSent();
        node.OnDatagram(node.ServerSocket, new DhtRequest { Tid = 3, To = node.ServerAddress, Internal = true, Command = DhtCommand.FindNode, Target = target, Token = refused.Token }.Encode(), client);
        Assert.Equal(DhtErrorCode.InvalidToken, (await SentResponseAsync(network)).Error);
    }

    [Fact]
    public async Task QueriesConvergeOnTheClosestPersistentNodes()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 8);
        var client = await net.AddNodeAsync();
        var target = new byte[32];
        new Random(7).NextBytes(target);
        var query = client.Node.FindNode(target);
        await query.WaitAsync().WaitAsync(Bound);
        var expected = net.Nodes.Where(n => !n.Node.Ephemeral).Select(n => (n.Node.ServerAddress, Id: n.Node.Id!))
            .OrderBy(n => n.Id, Comparer<byte[]>.Create((x, y) => NodeId.CompareDistance(x, y, target))).Select(n => n.ServerAddress).ToList();
        Assert.Equal(expected, query.ClosestNodes);
        Assert.True(query.Successes >= expected.Count);
    }

    [Fact]
    public async Task CommitWithoutPersistentNodesFails()
    {
        await using var network = new MemoryNetwork();
        await using var lonely = await StartAsync(network, new DhtNodeOptions { Bootstrap = ["127.0.0.1:5"], RequestTimeout = TimeSpan.FromMilliseconds(50), QueryRetries = 0 });
        var query = lonely.Query(new byte[32], 3, null, new DhtQueryOptions { Commit = _ => new DhtCommit(4, null) });
        var e = await Assert.ThrowsAsync<DhtQueryException>(() => query.WaitAsync().WaitAsync(Bound));
        Assert.Contains("Too few nodes", e.Message);
    }

    private static async Task<DhtResponse> SentResponseAsync(MemoryNetwork network)
    {
        await MemoryTestnet.EventuallyAsync(() => network.Sent.Any(s => s.Data[0] == DhtWire.ResponseType), "a response");
        Assert.True(DhtResponse.TryDecode(network.Sent.First(s => s.Data[0] == DhtWire.ResponseType).Data, out var r));
        return r;
    }
}
