using System.Text;
using Cabal.Interop.Tests.Js;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Multifeed;

// Two C# peers over TCP on 127.0.0.1 sharing 2,000 feeds: with length sync a reconnect costs frames
// in proportion to the feeds that changed, not to the feeds held.
public sealed class MultifeedReconnectCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Feeds = 2000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private readonly TempDir _dir = new();
    private readonly byte[] _cabal = Ed25519.NewKeyPair().PublicKey;
    private readonly AsyncDisposables _cleanup = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<MultifeedSet> Peer(string name)
    {
        var store = FeedStore.Open(_dir.Sub(name), new FeedStoreOptions { Durable = false });
        var replicator = new Replicator(store);
        var set = await MultifeedSet.OpenAsync(store, replicator, _cabal);
        _cleanup.Track(store);
        _cleanup.Track(replicator);
        _cleanup.Track(set);
        return set;
    }

    private static async Task<(MultifeedSession A, MultifeedSession B)> ConnectAsync(MultifeedSet a, MultifeedSet b)
    {
        var listener = Loopback.Listen();
        try
        {
            var dial = Loopback.DialAsync(listener.Port());
            var accepted = await listener.AcceptAsync();
            return (a.Replicate(await dial), b.Replicate(accepted));
        }
        finally { listener.Stop(); }
    }

    private static bool InSync(MultifeedSet a, MultifeedSet b)
        => a.Count == b.Count && a.Feeds.All(f => b.TryGet(f.KeyHex) is { } g && g.Length == f.Length && g.Contiguous == f.Length && f.Contiguous == f.Length);

    /// <summary>Frames both ways once the session has gone quiet.</summary>
    private static async Task<long> QuietFramesAsync(MultifeedSession s)
    {
        long last = -1, now = s.Connection.FramesSent + s.Connection.FramesReceived;
        while (now != last)
        {
            await Task.Delay(300);
            last = now;
            now = s.Connection.FramesSent + s.Connection.FramesReceived;
        }
        return now;
    }

    [Fact]
    public async Task ReconnectCostIsProportionalToChangedFeeds()
    {
        var a = await Peer("a");
        var b = await Peer("b");
        var writers = await Task.WhenAll(Enumerable.Range(0, Feeds).Select(i => a.Store.CreateWritableAsync(name: "w" + i, group: _cabal)));
        await Task.WhenAll(writers.Select((w, i) => w.AppendAsync(Encoding.UTF8.GetBytes("first " + i))));
        // Both users have written: an empty local feed would be watched, not stored (issue 20).
        await a.LocalFeed.AppendAsync("a"u8.ToArray());
        await b.LocalFeed.AppendAsync("b"u8.ToArray());

        var (sa, sb) = await ConnectAsync(a, b);
        await Loopback.Eventually(() => b.Count == Feeds + 2 && InSync(a, b), "first full sync", Long);
        var full = await QuietFramesAsync(sa);
        await sa.DisposeAsync();
        await sb.DisposeAsync();

        var costs = new List<(int Changed, long Frames)>();
        foreach (var changed in new[] { 0, 10, 50 })
        {
            foreach (var w in writers.Take(changed)) await w.AppendAsync("again"u8.ToArray());
            (sa, sb) = await ConnectAsync(a, b);
            Assert.True(await sa.Ready.WaitAsync(Long));
            await Loopback.Eventually(() => InSync(a, b) && sa.DormantFeedCount + sa.ActiveFeedCount == Feeds + 2, $"sync with {changed} changed", Long);
            var frames = await QuietFramesAsync(sa);
            costs.Add((changed, frames));
            output.WriteLine($"{changed} changed of {Feeds + 2}: {frames} frames, {sa.ActiveFeedCount} channels opened");
            Assert.Equal(changed, sa.ActiveFeedCount);
            await sa.DisposeAsync();
            await sb.DisposeAsync();
        }
        output.WriteLine($"first full sync: {full} frames");

        var baseline = costs[0].Frames;
        Assert.True(baseline < 40, $"an unchanged reconnect took {baseline} frames");
        foreach (var (changedCount, frames) in costs.Skip(1))
        {
            var perFeed = (double)(frames - baseline) / changedCount;
            Assert.InRange(perFeed, 1, 20);
        }
        Assert.True(full > 5 * Feeds, $"the first sync took only {full} frames");

        // Robustness: a change while connected and up to date is still replicated.
        (sa, sb) = await ConnectAsync(a, b);
        await Loopback.Eventually(() => sa.DormantFeedCount == Feeds + 2, "all dormant", Long);
        await writers[^1].AppendAsync("live"u8.ToArray());
        await b.LocalFeed.AppendAsync("b live"u8.ToArray());
        await Loopback.Eventually(() => InSync(a, b) && b.TryGet(writers[^1].KeyHex)!.Length == 2 && a.TryGet(b.LocalFeed.KeyHex)!.Length == 2, "live changes", Long);
    }
}
