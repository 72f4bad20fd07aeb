using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Storage;

/// <summary>
/// Closing the store while other threads read blocks (replication and indexing do): the reads end with
/// ObjectDisposedException or their block, never inside a closed LMDB environment, which would end the process.
/// </summary>
public sealed class StoreCloseRaceTests
{
    [Fact]
    public async Task ClosingWhileBlocksAreReadEndsTheReadsCleanly()
    {
        using var dir = new TempDir();
        for (var round = 0; round < 20; round++)
        {
            var store = FeedStore.Open(dir.Sub("r" + round), new FeedStoreOptions { Durable = false });
            var feed = await store.CreateWritableAsync(name: "local");
            for (var i = 0; i < 50; i++) await feed.AppendAsync(new byte[512]);
            using var started = new CountdownEvent(4);
            var readers = Enumerable.Range(0, 4).Select(reader => Task.Run(() =>
            {
                started.Signal();
                long reads = 0;
                try
                {
                    while (true)
                        for (ulong seq = 0; seq < 50; seq++)
                            if (feed.TryGet(seq, out _)) reads++;
                }
                catch (ObjectDisposedException) { }
                return reads;
            })).ToList();
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
            await store.DisposeAsync();
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        }
    }
}
