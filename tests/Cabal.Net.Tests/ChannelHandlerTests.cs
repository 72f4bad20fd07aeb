using System.Collections.Concurrent;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Tests;

/// <summary>Channels consumed through an IChannelHandler, and the connection's dispatch under send backpressure.</summary>
public class ChannelHandlerTests
{
    /// <summary>Records what a channel hands it; optionally reacts to each message.</summary>
    private sealed class Recorder(Action<IMessage>? onMessage = null) : IChannelHandler
    {
        public ConcurrentQueue<string> Events { get; } = new();
        public TaskCompletionSource<ChannelCloseReason> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnRemoteOpened() => Events.Enqueue("open");

        public void OnMessage(IMessage message)
        {
            Events.Enqueue(message is Have h ? $"have {h.Start}" : message is Request r ? $"request {r.Index}" : message.Descriptor.Name);
            onMessage?.Invoke(message);
        }

        public void OnClosed(ChannelCloseReason reason)
        {
            Events.Enqueue("closed");
            Closed.TrySetResult(reason);
        }
    }

    private static async Task<(ProtocolConnection Conn, RawPeer Raw)> RawPairAsync(ProtocolConnectionOptions? options = null)
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        var conn = new ProtocolConnection(pa, isInitiator: false, options);
        var raw = new RawPeer(pb, new NoiseHandshake(true));
        conn.Start();
        await raw.HandshakeAsync();
        return (conn, raw);
    }

    [Fact]
    public async Task HandlerHearsOpenThenEveryMessageInOrderThenClose()
    {
        var (conn, raw) = await RawPairAsync();
        await using var _ = conn;
        var key = TestKit.FeedKey(1);
        var channel = conn.OpenChannel(key);
        var recorder = new Recorder();
        channel.Attach(recorder);
        Assert.Throws<InvalidOperationException>(() => channel.Messages); // one consumer only

        await raw.SendAsync(1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(key), raw.Capability(key)));
        for (ulong i = 0; i < 50; i++) await raw.SendAsync(1, new Have { Start = i });
        await raw.SendAsync(1, new Close());

        Assert.Equal(ChannelCloseReason.RemoteClose, await recorder.Closed.Task.Within());
        Assert.Equal(["open", .. Enumerable.Range(0, 50).Select(i => $"have {i}"), "closed"], recorder.Events);
    }

    [Fact]
    public async Task MessagesThatArriveBeforeAttachWaitForTheHandler()
    {
        var (conn, raw) = await RawPairAsync();
        await using var _ = conn;
        var key = TestKit.FeedKey(2);
        var channel = conn.OpenChannel(key);
        await raw.SendAsync(1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(key), raw.Capability(key)));
        await raw.SendAsync(1, new Have { Start = 7 });
        await raw.SendAsync(1, new Have { Start = 8 });
        await TestKit.WaitUntilAsync(() => conn.FramesReceived >= 3); // counted once dispatched: both wait in the channel
        Assert.True(channel.IsRemoteOpen);

        var recorder = new Recorder();
        channel.Attach(recorder); // delivers the open and what waited before returning
        Assert.Equal(["open", "have 7", "have 8"], recorder.Events);
        Assert.Throws<InvalidOperationException>(() => channel.Attach(new Recorder()));
    }

    [Fact]
    public async Task AttachingToAClosedChannelHearsOnlyTheClose()
    {
        var (conn, _) = await RawPairAsync();
        var channel = conn.OpenChannel(TestKit.FeedKey(3));
        channel.Close();
        var recorder = new Recorder();
        channel.Attach(recorder);
        Assert.Equal(ChannelCloseReason.LocalClose, await recorder.Closed.Task.Within());
        Assert.Equal(["closed"], recorder.Events);
        await conn.DisposeAsync();
    }

    [Fact]
    public async Task AHandlerThatThrowsLosesItsChannelOnly()
    {
        var (conn, raw) = await RawPairAsync();
        await using var _ = conn;
        var k1 = TestKit.FeedKey(4);
        var k2 = TestKit.FeedKey(5);
        var c1 = conn.OpenChannel(k1);
        var c2 = conn.OpenChannel(k2);
        var faulty = new Recorder(_ => throw new InvalidOperationException("boom"));
        var healthy = new Recorder();
        c1.Attach(faulty);
        c2.Attach(healthy);
        await raw.SendAsync(1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(k1), raw.Capability(k1)));
        await raw.SendAsync(2, WireMessages.Open(HypercoreCrypto.DiscoveryKey(k2), raw.Capability(k2)));
        await raw.SendAsync(1, new Have { Start = 1 });
        await raw.SendAsync(2, new Have { Start = 2 });

        Assert.Equal(ChannelCloseReason.LocalClose, await faulty.Closed.Task.Within());
        await TestKit.WaitUntilAsync(() => healthy.Events.Contains("have 2"));
        Assert.False(c2.IsClosed);
        Assert.False(conn.IsEnded);
    }

    [Fact]
    public async Task UnderSendBackpressureMessagesWaitInOrderWhileTheReadLoopCarriesOn()
    {
        // Our side answers each Request with 20 KB; the raw peer does not read at first, so our
        // send queue stays over its 4 KB bound and the requests after the first few must wait.
        var (conn, raw) = await RawPairAsync(new ProtocolConnectionOptions { MaxQueuedSendBytes = 4096 });
        await using var _ = conn;
        var key = TestKit.FeedKey(6);
        var channel = conn.OpenChannel(key);
        var value = ByteString.CopyFrom(new byte[20_000]);
        var recorder = new Recorder(m =>
        {
            if (m is Request r) channel.Send(new Data { Index = r.Index, Value = value });
        });
        channel.Attach(recorder);
        await raw.SendAsync(1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(key), raw.Capability(key)));
        const int requests = 40;
        for (ulong i = 0; i < requests; i++) await raw.SendAsync(1, new Request { Index = i });

        // Every frame was read (the loop never stopped), yet not every request was handled.
        await TestKit.WaitUntilAsync(() => conn.FramesReceived >= requests + 1);
        Assert.True(conn.DeferredMessageCount > 0);
        Assert.True(recorder.Events.Count < requests + 1);

        // Once the remote reads, the waiting requests are handled, in order, and answered.
        var answered = new List<ulong>();
        while (answered.Count < requests)
        {
            var (_, type, message, _) = await raw.ReadMessageAsync().Within();
            if (type == MessageType.Data) answered.Add(((Data)message!).Index);
        }
        Assert.Equal(Enumerable.Range(0, requests).Select(i => (ulong)i), answered);
        Assert.Equal(["open", .. Enumerable.Range(0, requests).Select(i => $"request {i}")], recorder.Events);
        Assert.Equal(0, conn.DeferredMessageCount);
    }
}
