using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Net.Transport;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

// Peers as the client shows and manages them, between two nodes on loopback: a peer added while
// running (/connect) connects and is listed with direction and source on both sides; only the
// dialled address is remembered (an inbound source port cannot be dialled), and a restarted node
// with RedialKnownPeers dials it again.
public sealed class NodePeersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AddPeerWhileRunningListsBothSidesAndOnlyTheDialledAddressIsRemembered()
    {
        using var dir = new TempDir();
        var url = CabalUrl.Generate();
        await using var server = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(dir.Sub("server")) });
        var serverCabal = await server.OpenCabalAsync(url);
        await server.StartNetworkAsync(new NetworkOptions { ListenPort = 0 });
        var port = server.ListenPort!.Value;

        var clientPaths = new DataPaths(dir.Sub("client"));
        await using (var client = await CabalNode.OpenAsync(new NodeOptions { Paths = clientPaths }))
        {
            var cabal = await client.OpenCabalAsync(url);
            var joined = new TaskCompletionSource<PeerChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.PeerChanged += (_, e) => { if (e.Connected) joined.TrySetResult(e); };
            Assert.Throws<InvalidOperationException>(() => client.AddPeer(cabal, PeerAddress.Parse($"127.0.0.1:{port}")));
            await client.StartNetworkAsync(new NetworkOptions());
            Assert.True(client.AddPeer(cabal, PeerAddress.Parse($"127.0.0.1:{port}")));
            Assert.False(client.AddPeer(cabal, PeerAddress.Parse($"127.0.0.1:{port}")));
            var e = await joined.Task.WaitAsync(Wait);
            Assert.Equal((PeerSources.Added, true, serverCabal.LocalKey), (e.Source, e.Outbound, e.PeerKey));

            var mine = Assert.Single(client.PeersOf(cabal));
            Assert.Equal((serverCabal.LocalKey, $"127.0.0.1:{port}", true, PeerSources.Added), (mine.PeerKey, mine.Address, mine.Outbound, mine.Source));
            await Poll.UntilAsync(() => server.PeersOf(serverCabal).Count == 1, "the server lists the client");
            var theirs = server.PeersOf(serverCabal)[0];
            Assert.Equal((cabal.LocalKey, false, PeerSources.Inbound), (theirs.PeerKey, theirs.Outbound, theirs.Source));

            Assert.Equal([$"127.0.0.1:{port}"], client.KnownPeers(cabal));
            Assert.Empty(server.KnownPeers(serverCabal)); // the client's source port is not dialable
        }

        // Restarted with RedialKnownPeers, the client dials the remembered address by itself.
        await using var again = await CabalNode.OpenAsync(new NodeOptions { Paths = clientPaths });
        var reopened = await again.OpenCabalAsync(url);
        await again.StartNetworkAsync(new NetworkOptions { RedialKnownPeers = true });
        await Poll.UntilAsync(() => again.PeersOf(reopened).Count == 1, "the remembered peer redialled", timeout: Wait);
        Assert.Equal(PeerSources.Remembered, again.PeersOf(reopened)[0].Source);
    }
}
