using System.Diagnostics;
using Cabal.Chat.Messages;
using Xunit.Abstractions;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class RestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThousandFeedsIndexOnceAndAWarmStartIndexesNothing()
    {
        const int Feeds = 1000, PerFeed = 20;
        await using var fx = new ChatFixture();
        var sw = Stopwatch.StartNew();
        var feeds = await Task.WhenAll(Enumerable.Range(0, Feeds).Select(_ => fx.AddUserAsync()));
        // One batch per feed, all in flight at once: the store folds them into a few commits.
        await Task.WhenAll(feeds.Select((f, i) => f.AppendBatchAsync(Enumerable.Range(0, PerFeed)
            .Select(j => (ReadOnlyMemory<byte>)MessageEncoder.Chat(MessageTypes.Text, j % 2 == 0 ? "default" : "random", $"m{i}-{j}", 1_000_000 + j * Feeds + i))
            .ToList())));
        output.WriteLine($"built {Feeds}×{PerFeed} in {sw.ElapsedMilliseconds} ms");

        sw.Restart();
        var core = await fx.OpenAsync();
        output.WriteLine($"indexed in {sw.ElapsedMilliseconds} ms, {core.Statistics.Commits} commits");
        Assert.Equal(Feeds * PerFeed, core.EntriesIndexedSinceOpen);
        var expected = core.GetMessages("default", MessageQuery.Latest(50));
        Assert.Equal(50, expected.Count);
        Assert.Equal($"m{Feeds - 1}-18", expected[0].Text);

        await fx.RestartStoreAsync();
        sw.Restart();
        var again = await fx.OpenAsync();
        output.WriteLine($"warm start in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, again.EntriesIndexedSinceOpen);
        Assert.Equal(expected, again.GetMessages("default", MessageQuery.Latest(50)));
        Assert.Equal(["default", "random"], again.GetChannels());

        // New entries after the restart are indexed, and only they.
        await Say(feeds.Length > 0 ? fx.Store.TryGet(feeds[0].Key)! : throw new InvalidOperationException(), "default", "late", 9_000_000);
        await Sync(again);
        Assert.Equal(1, again.EntriesIndexedSinceOpen);
        Assert.Equal("late", again.GetMessages("default", MessageQuery.Latest(1))[0].Text);
    }
}
