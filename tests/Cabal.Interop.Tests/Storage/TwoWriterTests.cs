using System.Text;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Storage;

// Two processes appending to one feed in one store (two programs on one data directory). LMDB
// serialises their commits, but each process has its own idea of the feed's length: without a
// check, both write a block N and report it durable, one over the other, which forks the log for
// any peer that saw the first. The store refuses the second writer's stale append instead.
public sealed class TwoWriterTests
{
    [Fact]
    public async Task TwoProcessesAppendingToOneFeedNeverBothReportTheSameBlock()
    {
        using var dir = new TempDir();
        await using (var store = FeedStore.Open(dir.Path))
            await store.CreateWritableAsync(name: "local");

        var seen = new Dictionary<ulong, int>(); // block → the child that reported it durable
        var duplicates = new List<string>();
        var refused = 0;
        await using (var a = ChildProcess.StartDotnet("Cabal.TestHost.dll", "append-loop", dir.Path))
        await using (var b = ChildProcess.StartDotnet("Cabal.TestHost.dll", "append-loop", dir.Path))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            var counts = new Dictionary<int, int> { [a.Id] = 0, [b.Id] = 0 };
            async Task Drain(ChildProcess child)
            {
                while (counts[child.Id] < 100 && DateTime.UtcNow < deadline)
                {
                    var line = await child.WaitForLineAsync(l => l.StartsWith("durable ") || l == "refused", TimeSpan.FromSeconds(60));
                    lock (seen)
                    {
                        if (line == "refused") { refused++; continue; }
                        var i = ulong.Parse(line["durable ".Length..]);
                        if (seen.TryGetValue(i, out var other) && other != child.Id) duplicates.Add($"block {i} by {other} and {child.Id}");
                        seen[i] = child.Id;
                        counts[child.Id]++;
                    }
                }
            }
            await Task.WhenAll(Drain(a), Drain(b));
            a.KillHard();
            b.KillHard();
            await a.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await b.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Empty(duplicates);
        await using var reopened = FeedStore.Open(dir.Path);
        var feed = Assert.Single(reopened.Feeds);
        Assert.True(feed.Audit().Ok);
        // Every block a child reported durable is on disk, and it is that child's block.
        foreach (var (index, pid) in seen)
            Assert.StartsWith($"{pid} block ", Encoding.UTF8.GetString(feed.Get(index)));
        Assert.True(refused > 0 || seen.Values.Distinct().Count() == 1, "both children appended and none was ever refused");
    }
}
