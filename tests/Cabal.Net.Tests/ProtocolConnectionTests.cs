using System.Buffers;
using System.Collections.Concurrent;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Cabal.Tests;
using Google.Protobuf;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class ProtocolConnectionTests
{
    [Fact]
    public async Task ChannelsOpenBothWaysAndCarryMessagesWithFreshIds()
    {
        var (a, b) = TestKit.StartPair();
        await using var _ = a;
        await using var __ = b;
        var k1 = TestKit.FeedKey(1);
        var k2 = TestKit.FeedKey(2);
        var k3 = TestKit.FeedKey(3);
        var accepted = TestKit.AcceptFeeds(b, k1, k2, k3);

        var c1 = a.OpenChannel(k1);
        var c2 = a.OpenChannel(k2);
        Assert.Same(c1, a.OpenChannel(k1));
        Assert.True(await c1.RemoteOpened.Within());
        Assert.True(await c2.RemoteOpened.Within());
        c1.Close();
        Assert.Equal(ChannelCloseReason.LocalClose, await c1.Closed.Within());
        var c3 = a.OpenChannel(k3);
        Assert.Equal([1UL, 2UL, 3UL], new[] { c1.LocalId, c2.LocalId, c3.LocalId });
        Assert.True(await c3.RemoteOpened.Within());

        var b2 = accepted.Single(c => c.DiscoveryKey.Span.SequenceEqual(c2.DiscoveryKey.Span));
        Assert.True(await b2.RemoteOpened.Within());
        Assert.Equal(c2.LocalId, b2.RemoteId);

        var data = new Data { Index = 0, Value = ByteString.CopyFromUtf8("a") };
        data.Nodes.Add(new Data.Types.Node { Index = 0, Hash = ByteString.CopyFrom(new byte[32]), Size = 1 });
        Assert.True(await c2.SendAsync(WireMessages.Want(0, 1048576)));
        Assert.True(c2.Send(data));
        Assert.Equal(WireMessages.Want(0, 1048576), await b2.NextAsync());
        Assert.Equal(data, await b2.NextAsync());
        Assert.True(b2.Send(new Have { Start = 0, Length = 1 }));
        Assert.Equal(new Have { Start = 0, Length = 1 }, await c2.NextAsync());

        Assert.Throws<ArgumentException>(() => c2.Send(new Close()));
        Assert.False(c1.Send(WireMessages.Status(true, true)));
    }

    [Fact]
    public async Task TheRemoteKeyAndHandshakeHashAreNullUntilTheHandshakeEnds()
    {
        var (a, b) = TestKit.StartPair(start: false);
        await using var _ = a;
        await using var __ = b;
        Assert.Null(a.RemoteStaticKey);
        Assert.Null(a.HandshakeHash);
        a.Start();
        b.Start();
        Assert.True(await a.HandshakeCompleted.Within());
        Assert.True(a.RemoteStaticKey!.Value.Span.SequenceEqual(b.LocalStaticKey.Span));
        Assert.Equal(64, a.HandshakeHash!.Value.Length); // BLAKE2b-512
    }

    [Fact]
    public async Task WorkQueuedBeforeTheHandshakeIsFlushedAfterIt()
    {
        var (a, b) = TestKit.StartPair(start: false);
        await using var _ = a;
        await using var __ = b;
        var key = TestKit.FeedKey(9);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.RegisterExtension("hello", (_, p) => received.TrySetResult(System.Text.Encoding.UTF8.GetString(p.Span)));
        TestKit.AcceptFeeds(b, key);

        var ext = a.RegisterExtension("hello", (_, _) => { });
        var ch = a.OpenChannel(key);
        Assert.True(ext.Send("queued"u8));
        Assert.True(a.QueuedSendBytes > 0);
        a.Start();
        b.Start();
        Assert.Equal("queued", await received.Task.Within());
        Assert.True(await ch.RemoteOpened.Within());
        Assert.Contains("hello", b.RemoteExtensions);
    }

    [Fact]
    public async Task ExtensionsRegisteredAfterOpenWorkOnChannelsAndStream()
    {
        var (a, b) = TestKit.StartPair();
        await using var _ = a;
        await using var __ = b;
        var key = TestKit.FeedKey(4);
        var accepted = TestKit.AcceptFeeds(b, key);
        var ca = a.OpenChannel(key);
        Assert.True(await ca.RemoteOpened.Within());
        Assert.True(accepted.TryPeek(out var cb));
        Assert.True(await cb!.RemoteOpened.Within());

        var atB = new ConcurrentQueue<string>();
        var atA = new ConcurrentQueue<string>();
        cb.RegisterExtension("zeta", (e, p) => atB.Enqueue(e.Name + ":" + System.Text.Encoding.UTF8.GetString(p.Span)));
        cb.RegisterExtension("alpha", (e, p) => atB.Enqueue(e.Name + ":" + System.Text.Encoding.UTF8.GetString(p.Span)));
        var aZeta = ca.RegisterExtension("zeta", (e, p) => atA.Enqueue(e.Name + ":" + System.Text.Encoding.UTF8.GetString(p.Span)));

        Assert.True(aZeta.Send("1"u8));
        // b announces each change in Options, before anything else it sends on the channel.
        var opts = (Options)await ca.NextAsync();
        Assert.Equal(["zeta"], opts.Extensions);
        Assert.True(opts.HasAck);
        opts = (Options)await ca.NextAsync();
        Assert.Equal(["alpha", "zeta"], opts.Extensions);
        Assert.True(aZeta.RemoteSupports);

        var bAlpha = cb.RegisterExtension("beta", (_, _) => { });
        var bZeta = (Options)await cb.NextAsync(); // a's Options ["zeta"]
        Assert.Equal(["zeta"], bZeta.Extensions);
        await TestKit.WaitUntilAsync(() => atB.Contains("zeta:1"));

        // A name a does not know is dropped; once a registers it, it arrives.
        Assert.True(bAlpha.Send("dropped"u8));
        Assert.True(cb.Send(WireMessages.Status(true, true)));
        while (await ca.NextAsync() is not Status) { } // a has processed (and dropped) the extension frame
        var aAlpha = ca.RegisterExtension("alpha", (e, p) => atA.Enqueue(e.Name + ":" + System.Text.Encoding.UTF8.GetString(p.Span)));
        var aBeta = ca.RegisterExtension("beta", (e, p) => atA.Enqueue(e.Name + ":" + System.Text.Encoding.UTF8.GetString(p.Span)));
        Assert.True(bAlpha.Send("2"u8));
        await TestKit.WaitUntilAsync(() => atA.Contains("beta:2"));
        Assert.DoesNotContain("beta:dropped", atA);
        Assert.True(aAlpha.Send("3"u8));
        await TestKit.WaitUntilAsync(() => atB.Contains("alpha:3"));

        // Stream level, also registered late, and several names so ids differ between the sides.
        var streamAtA = new ConcurrentQueue<string>();
        b.RegisterExtension("MULTIFEED_HANDSHAKE", (_, p) => { });
        var bPeer = b.RegisterExtension("peer-id", (_, p) => { });
        a.RegisterExtension("peer-id", (_, p) => streamAtA.Enqueue(System.Text.Encoding.UTF8.GetString(p.Span)));
        Assert.True(bPeer.Send("xyz"u8));
        await TestKit.WaitUntilAsync(() => streamAtA.Contains("xyz"));
        Assert.Equal(["MULTIFEED_HANDSHAKE", "peer-id"], a.RemoteExtensions);
        Assert.Throws<ArgumentException>(() => a.RegisterExtension("peer-id", (_, _) => { }));
    }

    [Fact]
    public async Task RemoteCloseClosesTheChannelAndConnectionEndClosesTheRest()
    {
        var (a, b) = TestKit.StartPair();
        await using var __ = b;
        var k1 = TestKit.FeedKey(1);
        var k2 = TestKit.FeedKey(2);
        var accepted = TestKit.AcceptFeeds(b, k1, k2);
        var c1 = a.OpenChannel(k1);
        var c2 = a.OpenChannel(k2);
        Assert.True(await c1.RemoteOpened.Within());
        Assert.True(await c2.RemoteOpened.Within());
        var b1 = accepted.Single(c => c.DiscoveryKey.Span.SequenceEqual(c1.DiscoveryKey.Span));
        var b2 = accepted.Single(c => c.DiscoveryKey.Span.SequenceEqual(c2.DiscoveryKey.Span));
        Assert.True(await b1.RemoteOpened.Within());

        b1.Close();
        Assert.Equal(ChannelCloseReason.RemoteClose, await c1.Closed.Within());
        Assert.Equal(ChannelCloseReason.LocalClose, await b1.Closed.Within());
        Assert.False(a.IsEnded);

        await a.DisposeAsync();
        await b.Completion.Within();
        Assert.Null(b.Error);
        Assert.Equal(ChannelCloseReason.ConnectionEnded, await b2.Closed.Within());
        Assert.Equal(ChannelCloseReason.ConnectionEnded, await c2.Closed.Within());
        Assert.Equal(ChannelCloseReason.ConnectionEnded, await a.OpenChannel(TestKit.FeedKey(5)).Closed.Within());
    }

    [Fact]
    public async Task KeepAlivePingsKeepAnIdleConnectionAlive()
    {
        // The idle timeout is 15 pings long. Both sides run on one hand-moved clock: three seconds of
        // silence pass in steps of one timer tick (25 ms), and before each step the pings sent so far
        // have arrived, so a slow machine cannot make the test clock outrun the connections.
        var time = new ManualTimeProvider();
        var fast = new ProtocolConnectionOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(100), IdleTimeout = TimeSpan.FromMilliseconds(1500), TimeProvider = time };
        var la = new TestLogger("a");
        var lb = new TestLogger("b");
        var (a, b) = TestKit.StartPair(fast with { LoggerFactory = la }, fast with { LoggerFactory = lb });
        await using var _ = a;
        await using var __ = b;
        Assert.True(await a.HandshakeCompleted.Within());
        Assert.True(await b.HandshakeCompleted.Within());
        for (var step = 0; step < 120; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(25));
            await Poll.UntilAsync(() => a.IsEnded || b.IsEnded || (a.Now - a.LastReceivedAt <= 150 && b.Now - b.LastReceivedAt <= 150),
                $"a ping at step {step}", TestKit.Timeout, () => la + "\n" + lb);
        }
        Assert.True(a.Error is null, la.ToString());
        Assert.True(b.Error is null, lb.ToString());
        Assert.False(a.IsEnded);
        Assert.False(b.IsEnded);
    }

    [Fact]
    public async Task SilentPeerGetsPingsAndIsTimedOut()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        var options = new ProtocolConnectionOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(50), IdleTimeout = TimeSpan.FromMilliseconds(700) };
        await using var conn = new ProtocolConnection(pa, isInitiator: false, options);
        var raw = new RawPeer(pb, new NoiseHandshake(true));
        conn.Start();
        await raw.HandshakeAsync();
        var ping = await raw.ReadFrameAsync();
        Assert.True(ping.KeepAlive);
        await conn.Completion.Within();
        Assert.IsType<TimeoutException>(conn.Error);
    }

    [Fact]
    public async Task BadCapabilityClosesOnlyThatChannel()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        await using var conn = new ProtocolConnection(pa, isInitiator: true);
        var raw = new RawPeer(pb, new NoiseHandshake(false));
        conn.Start();
        await raw.HandshakeAsync();

        var good = TestKit.FeedKey(1);
        var bad = TestKit.FeedKey(2);
        var cGood = conn.OpenChannel(good);
        var cBad = conn.OpenChannel(bad);
        Assert.Equal(MessageType.Open, (await raw.ReadMessageAsync()).Type);
        Assert.Equal(MessageType.Open, (await raw.ReadMessageAsync()).Type);

        await raw.SendAsync(7, WireMessages.Open(HypercoreCrypto.DiscoveryKey(bad), raw.Capability(good)));
        await raw.SendAsync(8, WireMessages.Open(HypercoreCrypto.DiscoveryKey(good), raw.Capability(good)));
        Assert.Equal(ChannelCloseReason.CapabilityMismatch, await cBad.Closed.Within());
        var close = await raw.ReadMessageAsync();
        Assert.Equal((cBad.LocalId, MessageType.Close), (close.Channel, close.Type));
        Assert.True(await cGood.RemoteOpened.Within());

        await raw.SendAsync(8, WireMessages.Status(false, true));
        await raw.SendAsync(7, WireMessages.Status(true, true)); // for the closed channel: dropped
        Assert.Equal(WireMessages.Status(false, true), await cGood.NextAsync());
        Assert.False(conn.IsEnded);

        // Remote opens first with a bad capability: opening it later rejects it with Close{discoveryKey}.
        var late = TestKit.FeedKey(3);
        var announced = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        conn.DiscoveryKey += (_, e) => announced.TrySetResult(e.DiscoveryKey);
        await raw.SendAsync(9, new Open { DiscoveryKey = ByteString.CopyFrom(HypercoreCrypto.DiscoveryKey(late)) });
        Assert.Equal(HypercoreCrypto.DiscoveryKey(late), await announced.Task.Within());
        var rejected = conn.OpenChannel(late);
        Assert.Equal(ChannelCloseReason.CapabilityMismatch, await rejected.Closed.Within());
        var reject = await raw.ReadMessageAsync();
        Assert.Equal((3UL, MessageType.Close), (reject.Channel, reject.Type));
        Assert.Equal(HypercoreCrypto.DiscoveryKey(late), ((Close)reject.Message!).DiscoveryKey.ToByteArray());
        Assert.False(conn.IsEnded);
    }

    [Fact]
    public async Task MalformedMessageClosesOnlyItsChannel()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        await using var conn = new ProtocolConnection(pa, isInitiator: false);
        var raw = new RawPeer(pb, new NoiseHandshake(true));
        conn.Start();
        await raw.HandshakeAsync();
        var k1 = TestKit.FeedKey(1);
        var k2 = TestKit.FeedKey(2);
        var c1 = conn.OpenChannel(k1);
        var c2 = conn.OpenChannel(k2);
        await raw.SendAsync(1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(k1), raw.Capability(k1)));
        await raw.SendAsync(2, WireMessages.Open(HypercoreCrypto.DiscoveryKey(k2), raw.Capability(k2)));
        Assert.True(await c1.RemoteOpened.Within());
        Assert.True(await c2.RemoteOpened.Within());

        await raw.SendAsync(w => FrameWriter.WriteRaw(w, 1, MessageType.Have, [0x10, 0x01])); // Have without start
        await raw.SendAsync(w => FrameWriter.WriteRaw(w, 2, (MessageType)12, [1, 2, 3]));       // unassigned type: ignored
        await raw.SendAsync(w => FrameWriter.WriteRaw(w, 0, MessageType.Extension, []));      // bad extension id, stream level: ignored
        await raw.SendAsync(2, new Have { Start = 5 });
        Assert.Equal(ChannelCloseReason.InvalidMessage, await c1.Closed.Within());
        Assert.Equal(new Have { Start = 5 }, await c2.NextAsync());
        Assert.False(conn.IsEnded);
    }

    [Fact]
    public async Task CorruptFramingEndsTheConnection()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        await using var conn = new ProtocolConnection(pa, isInitiator: false);
        var raw = new RawPeer(pb, new NoiseHandshake(true));
        conn.Start();
        await raw.HandshakeAsync();
        var ch = conn.OpenChannel(TestKit.FeedKey(1));
        await raw.SendAsync(w => BuffersExtensions.Write(w, Hex("808080808080808001"))); // 9-byte length varint
        await conn.Completion.Within();
        Assert.IsType<WireFormatException>(conn.Error);
        Assert.Equal(ChannelCloseReason.ConnectionEnded, await ch.Closed.Within());
        Assert.True(await raw.WaitForEndAsync());
    }

    [Fact]
    public async Task TamperedHandshakeEndsTheConnection()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        await using var conn = new ProtocolConnection(pa, isInitiator: false);
        conn.Start();
        // msg1 must be at least a key; send a frame whose body is too short.
        await pb.Output.WriteAsync(new byte[] { 0x04, 1, 2, 3, 4 });
        await conn.Completion.Within();
        Assert.IsType<NoiseHandshakeException>(conn.Error);
        Assert.False(await conn.HandshakeCompleted.Within());
    }

    [Fact]
    public async Task DeterministicConnectionMatchesSpecVector()
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        var options = new ProtocolConnectionOptions
        {
            StaticKeyPair = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)0x11, 32).ToArray()),
            EphemeralKeyPair = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)0xe1, 32).ToArray()),
            PayloadNonce = Enumerable.Repeat((byte)0xa1, 24).ToArray(),
            KeepAliveInterval = TimeSpan.Zero,
        };
        await using var conn = new ProtocolConnection(pa, isInitiator: true, options);
        var raw = new RawPeer(pb, new NoiseHandshake(
            false,
            NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)0x22, 32).ToArray()),
            NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)0xe2, 32).ToArray()),
            Enumerable.Repeat((byte)0xb2, 24).ToArray()));
        var ch = conn.OpenChannel(new byte[32]); // queued before the handshake
        conn.Start();
        await raw.HandshakeAsync();
        Assert.Equal("f0d46b104c2203d1006c39d1c122e79ffaf9e744d810a0478fb79ea62c454c9b", ToHex(raw.Split.Rx));
        var open = await raw.ReadMessageAsync();
        Assert.Equal("a4b6", ToHex(raw.Ciphertext.Take(2).ToArray()));
        Assert.Equal((1UL, MessageType.Open), (open.Channel, open.Type));
        Assert.Equal("3beb8c19ace3b216f92514f2fb429d37865f9bd91e29634bf2cc9a9b2ec5aed6", ToHex(((Open)open.Message!).Capability.Span));
        Assert.False(ch.IsClosed);
    }
}
