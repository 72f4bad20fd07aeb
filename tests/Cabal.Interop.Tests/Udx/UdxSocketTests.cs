using System.Net;
using System.Net.Sockets;
using System.Text;
using Cabal.Net.Udx;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using UdxInstance = Cabal.Net.Udx.Udx;

namespace Cabal.Interop.Tests.Udx;

/// <summary>Sockets and streams over real UDP on 127.0.0.1, C# at both ends.</summary>
[Collection(UdxCollection.Name)]
public sealed class UdxSocketTests : IAsyncLifetime
{
    private readonly UdxInstance _a = new();
    private readonly UdxInstance _b = new();
    private UdxSocket _sa = null!;
    private UdxSocket _sb = null!;

    public Task InitializeAsync()
    {
        _sa = _a.Bind(AnyLoopbackPort);
        _sb = _b.Bind(AnyLoopbackPort);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PlainDatagramsGoToTheHandlerBothWays()
    {
        var got = new TaskCompletionSource<(byte[], IPEndPoint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _sb.OnDatagram = (d, from) => got.TrySetResult((d.ToArray(), from));
        Assert.True(_sa.TrySend("\x03dht"u8, _sb.LocalEndPoint!));
        var (data, source) = await Bounded(got.Task, "datagram");
        Assert.Equal("\x03dht"u8.ToArray(), data);
        Assert.Equal(_sa.LocalEndPoint, source);
        Assert.Equal(1, _sb.DatagramsReceived);
        Assert.Equal(1, _sa.DatagramsSent);
    }

    [Fact]
    public async Task APacketForAnUnknownStreamGoesToTheHandlerAndCountsAsUnknown()
    {
        var got = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _sb.OnDatagram = (d, _) => got.TrySetResult(d.ToArray());
        var packet = UdxPacket.Encode(new UdxHeader(UdxPacketType.Data, 0, 12345, 0, 0, 0), "x"u8);
        _sa.TrySend(packet, _sb.LocalEndPoint!);
        Assert.Equal(packet, await Bounded(got.Task, "datagram"));
        Assert.Equal(1, _sb.ToUnknownStream);
    }

    [Fact]
    public async Task AHandlerThatThrowsIsCountedAndTheLoopCarriesOn()
    {
        var count = 0;
        _sb.OnDatagram = (_, _) =>
        {
            if (Interlocked.Increment(ref count) == 1) throw new InvalidOperationException("boom");
        };
        _sa.TrySend([1], _sb.LocalEndPoint!);
        _sa.TrySend([2], _sb.LocalEndPoint!);
        await Loopback(() => Volatile.Read(ref count) == 2, "second datagram");
        Assert.Equal(1, _sb.HandlerFaults);
    }

    [Fact]
    public async Task ATtlSendRestoresTheSocketsTtl()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Bind(AnyLoopbackPort);
        raw.ReceiveTimeout = 5000;
        var before = _sa.Socket!.Ttl;
        Assert.True(_sa.TrySend([0], (IPEndPoint)raw.LocalEndPoint!, ttl: 5));
        Assert.Equal(before, _sa.Socket!.Ttl);
        Assert.True(_sa.TrySend([1], (IPEndPoint)raw.LocalEndPoint!));
        var buffer = new byte[16];
        Assert.Equal(1, raw.Receive(buffer));
        Assert.Equal(0, buffer[0]);
        Assert.Equal(1, raw.Receive(buffer));
        Assert.Equal(1, buffer[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _sa.TrySend([0], (IPEndPoint)raw.LocalEndPoint!, ttl: 256));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task StreamIdsAreUniqueAcrossTheSocketsOfAnInstance()
    {
        var second = _a.Bind(AnyLoopbackPort);
        var ids = Enumerable.Range(0, 2000).Select(_ => _a.CreateStream()).Select(s => s.LocalId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Throws<ArgumentException>(() => _a.CreateStream(ids[0]));
        Assert.Equal(2, _a.Sockets.Count);
        second.Close();
        Assert.Single(_a.Sockets);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TransfersEightMebibytesEachWayAndClosesCleanly()
    {
        var (a, b) = Connect(_sa, _sb, _a, _b);
        const long size = 8L << 20;
        var readA = ReadAllAsync(a.Input);
        var readB = ReadAllAsync(b.Input);
        await Task.WhenAll(WritePatternAsync(a.Output, size), WritePatternAsync(b.Output, size));
        var expected = PatternSha256(size);
        Assert.Equal((size, expected), await Bounded(readB, "b reads"));
        Assert.Equal((size, expected), await Bounded(readA, "a reads"));
        Assert.Null(await Bounded(a.Closed, "a closes"));
        Assert.Null(await Bounded(b.Closed, "b closes"));
        Assert.True(a.PacketsSent > size / 1500);
        Assert.True(a.Mtu > 1200, $"MTU {a.Mtu}: probing found nothing larger on loopback?");
    }

    [Fact]
    public async Task EchoesThroughAPipeline()
    {
        var (a, b) = Connect(_sa, _sb, _a, _b);
        // b echoes everything back, and ends when a ends.
        var echo = Task.Run(async () =>
        {
            while (true)
            {
                var r = await b.Input.ReadAsync();
                foreach (var s in r.Buffer) await b.Output.WriteAsync(s);
                b.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) break;
            }
            await b.Output.CompleteAsync();
        });
        var read = ReadAllAsync(a.Input);
        await WritePatternAsync(a.Output, 3 << 20);
        Assert.Equal((3L << 20, PatternSha256(3 << 20)), await Bounded(read, "echo"));
        await Bounded(echo, "echo task");
        Assert.Null(await Bounded(a.Closed, "close"));
    }

    [Fact]
    public async Task MessagesArriveOnTheStreamNotTheSocketHandler()
    {
        var (a, b) = Connect(_sa, _sb, _a, _b);
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.MessageReceived = m => got.TrySetResult(Encoding.UTF8.GetString(m.Span));
        var plain = 0;
        _sb.OnDatagram = (_, _) => Interlocked.Increment(ref plain);
        Assert.True(a.SendMessage("unordered"u8));
        Assert.Equal("unordered", await Bounded(got.Task, "message"));
        Assert.Equal(0, plain);
    }

    [Fact]
    public async Task DestroyResetsThePeer()
    {
        var (a, b) = Connect(_sa, _sb, _a, _b);
        await a.Output.WriteAsync("hi"u8.ToArray());
        var r = await Bounded(b.Input.ReadAsync().AsTask(), "first bytes");
        b.Input.AdvanceTo(r.Buffer.End);
        a.Destroy();
        var error = await Bounded(b.Closed, "b closes");
        Assert.Equal(UdxError.ConnectionReset, Assert.IsType<UdxException>(error).Error);
        var ex = await Assert.ThrowsAsync<UdxException>(async () => { while (true) { var x = await b.Input.ReadAsync(); b.Input.AdvanceTo(x.Buffer.End); } });
        Assert.Equal(UdxError.ConnectionReset, ex.Error);
        Assert.Null(await a.Closed);
    }

    [Fact]
    public async Task AnUnconnectedStreamDropsPacketsUnlessItsFirewallAcceptsThem()
    {
        var a = _a.CreateStream();
        var b = _b.CreateStream();
        a.Connect(_sa, b.LocalId, _sb.LocalEndPoint!);
        await a.Output.WriteAsync("early"u8.ToArray());
        await Loopback(() => _sb.Firewalled > 0, "the first packet is firewalled");

        // hyperdht's pattern: the hook connects the stream from the packet's source and accepts it.
        b.Firewall = (socket, from) =>
        {
            b.Connect(socket, a.LocalId, from);
            return false;
        };
        var r = await Bounded(b.Input.ReadAsync().AsTask(), "retransmitted data");
        Assert.Equal("early", Encoding.UTF8.GetString(r.Buffer.FirstSpan));
        b.Input.AdvanceTo(r.Buffer.End);
        Assert.Equal(_sa.LocalEndPoint, b.RemoteEndPoint);
    }

    [Fact]
    public async Task APacketOnAnotherSocketOfTheInstanceReachesTheStreamOnlyThroughItsFirewall()
    {
        var (_, b) = Connect(_sa, _sb, _a, _b);
        var other = _b.Bind(AnyLoopbackPort);
        var seen = new List<(UdxSocket, IPEndPoint)>();
        var heartbeat = UdxPacket.Encode(new UdxHeader(UdxPacketType.Heartbeat, 0, b.LocalId, 0, 0, 0), []);

        _sa.TrySend(heartbeat, other.LocalEndPoint!);
        await Loopback(() => other.Firewalled == 1, "dropped without a firewall hook");
        Assert.Equal(0, other.StreamPackets);

        b.Firewall = (socket, from) =>
        {
            lock (seen) seen.Add((socket, from));
            return false;
        };
        _sa.TrySend(heartbeat, other.LocalEndPoint!);
        await Loopback(() => other.StreamPackets == 1, "accepted by the hook");
        lock (seen) Assert.Equal((other, _sa.LocalEndPoint!), Assert.Single(seen));
        Assert.Same(_sb, b.Socket); // accepting a packet does not move the stream
    }

    [Fact]
    public async Task ChangeRemoteMovesAStreamToAnotherSocket()
    {
        var (a, b) = Connect(_sa, _sb, _a, _b);
        var read = ReadAllAsync(b.Input);
        await WritePatternAsync(a.Output, 1 << 20, complete: false);

        // Both ends move, as hyperdht moves both after a holepunch: a to another socket of its instance,
        // b (same socket) to a's new address. Packets from a new address on b's own socket need no firewall.
        var other = _a.Bind(AnyLoopbackPort);
        var moved = a.ChangeRemote(other, b.LocalId, _sb.LocalEndPoint!);
        await Bounded(b.ChangeRemote(_sb, a.LocalId, other.LocalEndPoint!), "b's change completes");
        await Bounded(moved, "a's change completes");
        Assert.Same(other, a.Socket);
        await a.Output.WriteAsync(new byte[1000]);
        await a.Output.CompleteAsync();
        var (bytes, _) = await Bounded(read, "rest arrives");
        Assert.Equal((1 << 20) + 1000, bytes);
        Assert.True(other.StreamPackets > 0 || other.DatagramsSent > 0);
        await b.Output.CompleteAsync();
        Assert.Null(await Bounded(a.Closed, "close"));
    }

    [Fact]
    public async Task ClosingASocketClosesItsStreams()
    {
        var (a, _) = Connect(_sa, _sb, _a, _b);
        _sa.Close();
        var error = await Bounded(a.Closed, "a closes");
        Assert.Equal(UdxError.SocketClosed, Assert.IsType<UdxException>(error).Error);
        Assert.False(_sa.TrySend([1], _sb.LocalEndPoint!));
    }

    private static Task Loopback(Func<bool> condition, string what) => Js.Loopback.Eventually(condition, what, UdxTestKit.Limit);
}
