using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Replication;

// The per-connection request budget: bounded in flight, and a feed that is downloading keeps its
// slots until it is done, so a many-feed sync works through a few feeds at a time.
public sealed class RequestBudgetTests : TwoStoreFixture
{
    private async Task<Feed> Writer(int blocks)
    {
        var w = await _a.CreateWritableAsync();
        await w.AppendBatchAsync(Enumerable.Range(0, blocks).Select(i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"block {i}")).ToList());
        return w;
    }

    [Fact]
    public async Task AFeedThatIsDownloadingKeepsItsSlotsUntilItIsDone()
    {
        const int blocks = 60;
        var budget = new RequestBudget(4);
        var options = new ReplicationOptions { MaxInflightRequests = 4 };
        var w1 = await Writer(blocks);
        var w2 = await Writer(blocks);
        var r1 = await _b.GetOrAddRemoteAsync(w1.Key);
        var r2 = await _b.GetOrAddRemoteAsync(w2.Key);

        // How far feed 1 had got when feed 2 stored its first block.
        long feed1AtFirstOf2 = -1;
        int feed2Stored = 0;
        r2.Downloaded += (_, _) =>
        {
            Interlocked.CompareExchange(ref feed1AtFirstOf2, (long)r1.Contiguous, -1);
            Interlocked.Increment(ref feed2Stored);
        };

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        InMemoryChannel.Connect(_ra, w1, _rb, r1, ob: options, budgetB: budget);
        while (r1.Contiguous == 0) await Task.Delay(5, cts.Token); // feed 1 holds the slots
        InMemoryChannel.Connect(_ra, w2, _rb, r2, ob: options, budgetB: budget);
        // Contiguous moves when a block is verified, Downloaded fires after its commit: wait for both,
        // or a slow group commit leaves the event unseen when the loop ends.
        while (r1.Contiguous < blocks || r2.Contiguous < blocks || Volatile.Read(ref feed2Stored) < blocks)
        {
            Assert.InRange(budget.InUse, 0, budget.Max);
            await Task.Delay(5, cts.Token);
        }

        // Feed 1 was (nearly) finished before feed 2 got a block: waking waiters round-robin whenever
        // a block arrived would have interleaved them block by block.
        var firstDone = Interlocked.Read(ref feed1AtFirstOf2);
        Assert.True(firstDone >= blocks / 2, $"feed 2 started after feed 1 had only {firstDone} of {blocks} blocks");
        Assert.Equal(0, budget.InUse);
    }
}
