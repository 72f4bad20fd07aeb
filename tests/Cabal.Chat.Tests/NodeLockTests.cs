using Cabal.Chat.Node;
using Cabal.Tests;

namespace Cabal.Chat.Tests;

// node.lock: ordinary nodes share a data directory; an exclusive one (an import) has it alone. The
// refused node fails before it opens the feed store (LMDB must not be opened twice in one process).
public sealed class NodeLockTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<CabalNode> Open(bool exclusive) => CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(_dir.Path), Exclusive = exclusive });

    [Fact]
    public async Task AnExclusiveNodeAndAnyOtherNodeExcludeEachOther()
    {
        await using (await Open(exclusive: false))
        {
            var e = await Assert.ThrowsAsync<DataDirectoryBusyException>(() => Open(exclusive: true));
            Assert.Contains("has the data directory", e.Message);
        }
        await using (await Open(exclusive: true))
        {
            var e = await Assert.ThrowsAsync<DataDirectoryBusyException>(() => Open(exclusive: false));
            Assert.Contains("an import is writing", e.Message);
            await Assert.ThrowsAsync<DataDirectoryBusyException>(() => Open(exclusive: true));
        }
        await using (await Open(exclusive: false)) { }
    }
}
