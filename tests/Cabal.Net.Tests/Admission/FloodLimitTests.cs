using System.IO.Pipelines;
using Cabal.Net.Protocol.Messages;
using Cabal.Tests;
using Google.Protobuf;

namespace Cabal.Net.Tests.Admission;

// Issue 20, defect 4 (second half): a member that sends while it does not read, or floods Haves,
// cannot grow our memory. Memory is bounded by counting what waits (deferred bytes), not by RSS.
public sealed class FloodLimitTests
{
    private sealed class DropHandler : IChannelHandler
    {
        public long Received;
        public void OnRemoteOpened() { }
        public void OnMessage(IMessage message) => Interlocked.Increment(ref Received);
        public void OnClosed(ChannelCloseReason reason) { }
    }

    /// <summary>
    /// A (the attacker) and B (the victim) over in-memory pipes, with a valve on B→A: closed, B's bytes
    /// stop reaching A, as when A stops reading its socket.
    /// </summary>
    private static (ProtocolConnection A, ProtocolConnection B, Action StopReading) Pair(ProtocolConnectionOptions b)
    {
        var aToB = new Pipe();
        var bOut = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var toA = new Pipe();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reading.SetResult();
        var valve = reading.Task;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                await Volatile.Read(ref valve);
                var r = await bOut.Reader.ReadAsync();
                foreach (var segment in r.Buffer) await toA.Writer.WriteAsync(segment);
                bOut.Reader.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) { await toA.Writer.CompleteAsync(); return; }
            }
        });
        var a = new ProtocolConnection(new DuplexPipe(toA.Reader, aToB.Writer), isInitiator: true);
        var victim = new ProtocolConnection(new DuplexPipe(aToB.Reader, bOut.Writer), isInitiator: false, b);
        a.Start();
        victim.Start();
        return (a, victim, () => Volatile.Write(ref valve, new TaskCompletionSource().Task));
    }

    /// <summary>Options on a clock that only moves when told, without pings or idle timeouts.</summary>
    private static ProtocolConnectionOptions Quiet(ProtocolConnectionOptions options, ManualTimeProvider time)
        => options with { TimeProvider = time, IdleTimeout = TimeSpan.Zero, KeepAliveInterval = TimeSpan.Zero };

    private static async Task<(ProtocolChannel A, ProtocolChannel B, DropHandler Handler)> OpenAsync(ProtocolConnection a, ProtocolConnection b)
    {
        var key = TestKit.FeedKey(9);
        var ca = a.OpenChannel(key);
        var cb = b.OpenChannel(key);
        var handler = new DropHandler();
        cb.Attach(handler);
        Assert.True(await ca.RemoteOpened.Within());
        Assert.True(await cb.RemoteOpened.Within());
        return (ca, cb, handler);
    }

    [Fact]
    public async Task ARemoteThatSendsButDoesNotRead_IsCutOffWhenItsWaitingMessagesReachTheCap()
    {
        var time = new ManualTimeProvider(); // 50,000 Haves stay inside the channel burst: only the deferred cap can end it
        var options = Quiet(new() { MaxQueuedSendBytes = 16 * 1024, MaxDeferredBytes = 256 * 1024 }, time);
        var (a, b, stopReading) = Pair(options);
        await using var _a = a;
        await using var _b = b;
        var (ca, cb, _) = await OpenAsync(a, b);

        // A stops reading; B has megabytes to send it (blocks it asked for, say), so B's queue stays full.
        stopReading();
        for (var i = 0; i < 64; i++) cb.Send(new Data { Index = (ulong)i, Value = ByteString.CopyFrom(new byte[32 * 1024]) });
        await TestKit.WaitUntilAsync(() => b.QueuedSendBytes > options.MaxQueuedSendBytes);

        // A keeps sending: every message now waits behind B's sends, until the cap.
        long peak = 0;
        for (var i = 0; i < 50_000 && !b.IsEnded; i++)
        {
            ca.Send(new Have { Start = (ulong)i });
            if ((i & 255) == 0) await Task.Yield();
            peak = Math.Max(peak, b.DeferredBytes);
        }
        await b.Completion.Within();
        var abuse = Assert.IsType<PeerAbuseException>(b.Error);
        Assert.Contains("does not read", abuse.Reason);
        Assert.True(peak <= options.MaxDeferredBytes, $"{peak} deferred bytes");
        Assert.True(b.MessagesDeferred < options.MaxDeferredBytes / 64, $"{b.MessagesDeferred} messages deferred");
    }

    [Fact]
    public async Task AHaveFloodIsCutOffAtTheChannelsRate()
    {
        var time = new ManualTimeProvider();
        var (a, b, _) = Pair(Quiet(new() { ChannelMessageRate = 1_000, ChannelMessageBurst = 5_000 }, time));
        await using var _a = a;
        await using var _b = b;
        var (ca, _, handler) = await OpenAsync(a, b);

        // The burst passes; a second's worth more passes once a second has gone by.
        for (var i = 0; i < 5_000; i++) ca.Send(new Have { Start = (ulong)i });
        await TestKit.WaitUntilAsync(() => Interlocked.Read(ref handler.Received) == 5_000);
        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 1_000; i++) ca.Send(new Have { Start = (ulong)i });
        await TestKit.WaitUntilAsync(() => Interlocked.Read(ref handler.Received) == 6_000);
        Assert.False(b.IsEnded);

        // Ten million Haves without pause: cut off at the next one over the rate.
        for (var i = 0; i < 10_000_000 && !b.IsEnded && !a.IsEnded; i++)
        {
            ca.Send(new Have { Start = (ulong)i });
            if ((i & 1023) == 0) await Task.Yield();
        }
        await b.Completion.Within();
        Assert.Contains("messages a second", Assert.IsType<PeerAbuseException>(b.Error).Reason);
        Assert.InRange(Interlocked.Read(ref handler.Received), 6_000, 6_001);
    }

    [Fact]
    public async Task DataIsNotRateLimited_ItAnswersOurOwnRequests()
    {
        var (a, b, _) = Pair(Quiet(new() { ChannelMessageRate = 10, ChannelMessageBurst = 10 }, new ManualTimeProvider()));
        await using var _a = a;
        await using var _b = b;
        var (ca, _, handler) = await OpenAsync(a, b);
        for (var i = 0; i < 1_000; i++) ca.Send(new Data { Index = (ulong)i, Value = ByteString.CopyFrom(new byte[16]) });
        await TestKit.WaitUntilAsync(() => Interlocked.Read(ref handler.Received) == 1_000);
        Assert.False(b.IsEnded);
    }

    [Fact]
    public async Task AnExtensionFloodOnAChannelIsCutOff()
    {
        var (a, b, _) = Pair(Quiet(new() { ExtensionMessageRate = 10, ExtensionMessageBurst = 100 }, new ManualTimeProvider()));
        await using var _a = a;
        await using var _b = b;
        var key = TestKit.FeedKey(3);
        var ca = a.OpenChannel(key);
        var cb = b.OpenChannel(key);
        var received = 0;
        var ea = ca.RegisterExtension("root", (_, _) => { });
        cb.RegisterExtension("root", (_, _) => Interlocked.Increment(ref received));
        Assert.True(await ca.RemoteOpened.Within());
        await Poll.UntilAsync(() => ea.RemoteSupports, TestKit.Timeout);
        for (var i = 0; i < 1_000 && !b.IsEnded; i++)
        {
            ea.Send(new byte[8]);
            if ((i & 63) == 0) await Task.Yield();
        }
        await b.Completion.Within();
        Assert.Contains("extension messages a second", Assert.IsType<PeerAbuseException>(b.Error).Reason);
        Assert.True(Volatile.Read(ref received) <= 100);
    }
}
