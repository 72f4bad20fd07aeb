using Cabal.Chat.Cli;
using Cabal.Tests;

namespace Cabal.Chat.Tests;

// What a wait for sync reports when there is nobody to sync with: never "in sync".
public sealed class NodeSyncTests
{
    [Fact]
    public async Task AnUnreachablePeerIsReportedAsNoPeerNotAsInSync()
    {
        using var dir = new TempDir();
        await using var node = await CabalNode.OpenAsync(new DataPaths(dir.Path), loggerFactory: Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var cabal = await node.OpenCabalAsync(CabalUrl.Generate());
        await node.StartNetworkAsync(new NetworkSettings(null, [$"127.0.0.1:{LoopbackTcp.ClosedPort()}"], Lan: false));
        var result = await node.WaitForSyncReportAsync(cabal, TimeSpan.FromSeconds(1.5));
        Assert.False(result.InSync);
        Assert.True(result.NoPeers);
        Assert.StartsWith("no peer connected", result.ToString());
        Assert.False(await node.WaitForSyncAsync(cabal, TimeSpan.FromMilliseconds(300)));
    }
}
