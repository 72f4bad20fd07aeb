using System.Buffers;
using Cabal.Net.Protocol;

namespace Cabal.Net.Tests.Admission;

// Per-connection limits (issue 20, defects 2 and 4): frame size by state, and channels the remote holds.
public sealed class ConnectionLimitTests
{
    [Fact]
    public void AFrameOverTheStateCapIsRefusedFromItsLengthAlone()
    {
        // An 8 MiB length, and nothing of the body yet: refused now, not after 8 MiB were buffered.
        var length = new byte[Varint.MaxLength];
        var bytes = length.AsMemory(0, Varint.Write(length, 8UL * 1024 * 1024));
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        try
        {
            FrameParser.TryParse(ref reader, out _, 64 * 1024);
            Assert.Fail("expected FrameTooLargeException");
        }
        catch (FrameTooLargeException e)
        {
            Assert.Equal(64 * 1024, e.Limit);
        }
        // Without a state cap the same length only waits for more bytes.
        reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.False(FrameParser.TryParse(ref reader, out _));
    }

    [Fact]
    public async Task ALargeMessageBeforeAnyChannelEndsTheConnectionAsAbuse()
    {
        var (a, b) = TestKit.StartPair();
        await using var _a = a;
        await using var _b = b;
        var ext = a.RegisterExtension("flood", (_, _) => { });
        b.RegisterExtension("flood", (_, _) => { });
        Assert.True(await a.HandshakeCompleted.Within());
        ext.Send(new byte[100 * 1024]);
        await b.Completion.Within();
        var abuse = Assert.IsType<PeerAbuseException>(b.Error);
        Assert.IsType<FrameTooLargeException>(abuse.InnerException);
        Assert.False(b.ChannelInUse);
    }

    [Fact]
    public async Task OnceAChannelIsOpenBothWays_LargeMessagesPass()
    {
        var key = TestKit.FeedKey(7);
        var (a, b) = TestKit.StartPair();
        await using var _a = a;
        await using var _b = b;
        var received = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ca = a.OpenChannel(key);
        var cb = b.OpenChannel(key);
        var ea = ca.RegisterExtension("big", (_, _) => { });
        cb.RegisterExtension("big", (_, p) => received.TrySetResult(p.Length));
        Assert.True(await ca.RemoteOpened.Within());
        Assert.True(await cb.RemoteOpened.Within());
        Assert.True(b.ChannelInUse);
        Assert.True(await Cabal.Tests.Poll.UntilAsync(() => ea.RemoteSupports, TestKit.Timeout));
        ea.Send(new byte[1024 * 1024]);
        Assert.Equal(1024 * 1024, await received.Task.Within());
        Assert.False(b.IsEnded);
    }

    [Fact]
    public async Task MoreRemoteChannelsThanAllowedEndTheConnectionAsAbuse()
    {
        var (a, b) = TestKit.StartPair(b: new ProtocolConnectionOptions { MaxRemoteChannels = 3 });
        await using var _a = a;
        await using var _b = b;
        for (byte i = 1; i <= 4; i++) a.OpenChannel(TestKit.FeedKey(i));
        await b.Completion.Within();
        Assert.Contains("more than 3 channels", Assert.IsType<PeerAbuseException>(b.Error).Reason);
    }
}
