using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Storage;

public sealed class CrashSafetyTests
{
    [Fact]
    public async Task SigkillMidAppendLosesNothingThatWasReportedDurable()
    {
        using var dir = new TempDir();
        var lastDurable = -1L;
        await using (var child = ChildProcess.StartDotnet("Cabal.TestHost.dll", "append-loop", dir.Path))
        {
            var durable = new HashSet<ulong>();
            while (durable.Count < 300)
            {
                var line = await child.WaitForLineAsync(l => l.StartsWith("durable "), TimeSpan.FromSeconds(60));
                var i = ulong.Parse(line["durable ".Length..]);
                durable.Add(i);
                lastDurable = Math.Max(lastDurable, (long)i);
            }
            child.KillHard(); // SIGKILL while appends are still in flight
            await child.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using var store = FeedStore.Open(dir.Path);
        var feed = Assert.Single(store.Feeds);
        Assert.True((long)feed.Length > lastDurable, $"length {feed.Length} but block {lastDurable} was reported durable");
        var audit = feed.Audit();
        Assert.True(audit.Ok, string.Join("; ", audit.Problems));
        Assert.Equal(feed.Length, audit.ValidBlocks);
        // The reopened store is writable where it left off.
        var next = await feed.AppendAsync("after crash"u8.ToArray());
        Assert.Equal(feed.Length - 1, next);
        Assert.True(feed.Audit().Ok);
    }
}
