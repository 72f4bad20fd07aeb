using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Net.Transport;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

// What a wait for sync reports when there is nobody to sync with: never "in sync".
public sealed class NodeSyncTests
{
    [Fact]
    public async Task AnUnreachablePeerIsReportedAsNoPeerNotAsInSync()
    {
        using var dir = new TempDir();
        await using var node = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(dir.Path) });
        var cabal = await node.OpenCabalAsync(CabalUrl.Generate());
        await node.StartNetworkAsync(new NetworkOptions { Peers = [PeerAddress.Parse($"127.0.0.1:{LoopbackTcp.ClosedPort()}")], Dht = DhtSettings.Off });
        var result = await node.WaitForSyncReportAsync(cabal, TimeSpan.FromSeconds(1.5));
        Assert.False(result.InSync);
        Assert.True(result.NoPeers);
        Assert.StartsWith("no peer connected", result.ToString());
        Assert.False(await node.WaitForSyncAsync(cabal, TimeSpan.FromMilliseconds(300)));
    }
}
