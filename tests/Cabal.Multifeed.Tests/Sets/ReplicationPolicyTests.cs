using System.Collections.Concurrent;
using Cabal.Multifeed.Sets;

namespace Cabal.Multifeed.Tests.Sets;

// Issue 20, "blocked means gone": a feed the set's policy refuses stops moving on every live
// connection at once, is not offered to a newcomer nor fetched from one, and moves again once
// allowed; a feed removed with `remember` is not fetched again when offered.
public sealed class ReplicationPolicyTests : SetTestBase
{
    private sealed class Blocks : IReplicationPolicy
    {
        public readonly ConcurrentDictionary<string, byte> Refused = new(StringComparer.Ordinal);
        public bool MayReplicate(string feedKeyHex) => !Refused.ContainsKey(feedKeyHex);
    }

    [Fact]
    public async Task ARefusedFeedStopsOnLiveSessionsIsNotOfferedAndComesBackWhenAllowed()
    {
        var policy = new Blocks();
        var victim = await Peer("victim");
        var bot = await Peer("bot", new MultifeedOptions { Policy = policy });
        await bot.SayAsync("b0"); // a reader stores only feeds that hold data (issue 20)
        await victim.SayAsync("v0", "v1");
        var v = victim.Set.LocalFeed.KeyHex;
        SetPeer.Connect(victim, bot);
        await SetPeer.Eventually(() => bot.Set.TryGet(v) is { Contiguous: 2 }, "the bot holds the victim's feed");

        // Blocked: the channel closes at once; what the victim writes next no longer reaches the bot.
        policy.Refused[v] = 0;
        bot.Set.ReconsiderFeeds([v]);
        Assert.All(bot.Set.Sessions, s => Assert.Null(s.Replication.Peers.FirstOrDefault(p => p.Feed.KeyHex == v && !p.IsClosed)));
        await victim.SayAsync("v2");

        // A fresh reader of the bot never hears of the feed; the bot's own feed reaches it.
        var reader = await Peer("reader");
        var (toReader, _) = SetPeer.Connect(bot, reader);
        await SetPeer.Eventually(() => reader.Set.TryGet(bot.Set.LocalFeed.KeyHex) is not null && toReader.SyncReport().InSync, "the reader syncs with the bot");
        Assert.Null(reader.Set.TryGet(v));
        Assert.Equal(2UL, bot.Set.TryGet(v)!.Length); // v2 was never fetched

        // Allowed again: the live session with the victim agrees the feed afresh and v2 arrives.
        policy.Refused.TryRemove(v, out _);
        bot.Set.ReconsiderFeeds([v]);
        await SetPeer.Eventually(() => bot.Set.TryGet(v) is { Contiguous: 3 }, "the unblocked feed downloads again");
        await SetPeer.Eventually(() => reader.Set.TryGet(v) is { Contiguous: 3 }, "and is offered to the reader");
    }

    [Fact]
    public async Task AFeedRefusedBeforeItWasStoredIsNeverRequested()
    {
        var policy = new Blocks();
        var victim = await Peer("victim");
        await victim.SayAsync("v0");
        var v = victim.Set.LocalFeed.KeyHex;
        policy.Refused[v] = 0;
        var bot = await Peer("bot", new MultifeedOptions { Policy = policy });
        await bot.SayAsync("b0"); // the victim stores only feeds that hold data (issue 20)
        var (toVictim, _) = SetPeer.Connect(bot, victim);
        await SetPeer.Eventually(() => toVictim.SyncReport().InSync && victim.Set.TryGet(bot.Set.LocalFeed.KeyHex) is not null, "in sync without the refused feed");
        Assert.Null(bot.Set.TryGet(v));
        Assert.Null(bot.Store.TryGet(Convert.FromHexString(v)));
    }

    [Fact]
    public async Task ARemovedAndRememberedFeedIsNotFetchedAgainWhenOffered()
    {
        var victim = await Peer("victim");
        var bot = await Peer("bot");
        await bot.SayAsync("b0"); // a reader stores only feeds that hold data (issue 20)
        await victim.SayAsync("v0", "v1");
        var v = victim.Set.LocalFeed.KeyHex;
        SetPeer.Connect(victim, bot);
        await SetPeer.Eventually(() => bot.Set.TryGet(v) is { Contiguous: 2 }, "the bot holds the victim's feed");

        await bot.Store.RemoveAsync(bot.Set.TryGet(v)!, remember: true);
        await bot.Store.WaitForPurgesAsync();
        Assert.Null(bot.Set.TryGet(v));
        Assert.True(bot.Store.IsForgotten(v));
        await victim.SayAsync("v2"); // offered live, and again on a new connection
        SetPeer.Connect(victim, bot);
        var reader = await Peer("reader");
        var (toReader, _) = SetPeer.Connect(bot, reader);
        await SetPeer.Eventually(() => toReader.SyncReport().InSync && reader.Set.TryGet(bot.Set.LocalFeed.KeyHex) is not null, "the reader syncs with the bot");
        Assert.Null(bot.Store.TryGet(Convert.FromHexString(v)));
        Assert.Equal(0, bot.Store.CountEntriesForTests(bot.Store.Blocks) - (int)bot.Set.LocalFeed.Length);
    }
}
