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

        // How far the other feed had got when each feed stored its first block.
        long otherAtFirst1 = -1, otherAtFirst2 = -1;
        r1.Downloaded += (_, _) => Interlocked.CompareExchange(ref otherAtFirst1, (long)r2.Contiguous, -1);
        r2.Downloaded += (_, _) => Interlocked.CompareExchange(ref otherAtFirst2, (long)r1.Contiguous, -1);

        InMemoryChannel.Connect(_ra, w1, _rb, r1, ob: options, budgetB: budget);
        InMemoryChannel.Connect(_ra, w2, _rb, r2, ob: options, budgetB: budget);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (r1.Contiguous < blocks || r2.Contiguous < blocks)
        {
            Assert.InRange(budget.InUse, 0, budget.Max);
            await Task.Delay(5, cts.Token);
        }

        // One feed went first and was (nearly) finished before the other got a block: round-robin
        // over the budget would have interleaved them block by block.
        var (firstDone, second) = Interlocked.Read(ref otherAtFirst1) == 0 ? (otherAtFirst2, "feed 2") : (otherAtFirst1, "feed 1");
        Assert.True(firstDone >= blocks / 2, $"{second} started after the other had only {firstDone} of {blocks} blocks");
        Assert.Equal(0, budget.InUse);
    }
}
