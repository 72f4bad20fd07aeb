using Cabal.Net;
using Cabal.Net.Protocol;
using Cabal.Net.Tests;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Net;

/// <summary>A protocol connection over a real TCP pair on 127.0.0.1 (the rest of its tests run over in-memory pipes).</summary>
public sealed class ProtocolConnectionLoopbackTests
{
    [Fact]
    public async Task HandshakeCompletesOverLoopbackTcp()
    {
        var (client, server) = await LoopbackTcp.PairAsync();
        await using var a = new ProtocolConnection(client, isInitiator: true);
        await using var b = new ProtocolConnection(server, isInitiator: false);
        a.Start();
        b.Start();
        Assert.True(await a.HandshakeCompleted.Within());
        Assert.True(await b.HandshakeCompleted.Within());
        Assert.Equal(a.LocalStaticKey.ToArray(), b.RemoteStaticKey?.ToArray());
        Assert.Equal(b.LocalStaticKey.ToArray(), a.RemoteStaticKey?.ToArray());
        Assert.Equal(a.HandshakeHash?.ToArray(), b.HandshakeHash?.ToArray());

        var key = TestKit.FeedKey(1);
        TestKit.AcceptFeeds(b, key);
        var ch = a.OpenChannel(key);
        Assert.True(await ch.RemoteOpened.Within());
        Assert.True(ch.Send(WireMessages.Status(true, false)));
        var bch = b.Channels.Single();
        Assert.True(await bch.RemoteOpened.Within());
        Assert.Equal(WireMessages.Status(true, false), await bch.NextAsync());
    }
}
