using System.Text;
using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

// Issue 20, defect 3 and lockdown: feeds are admitted, not just counted. A member's 100,000-key
// MANIFEST used to make the bot store 99,999 empty feeds, fill the feed cap and lock out every new
// member, across restarts.
public sealed class FeedAdmissionTests : SetTestBase
{
    /// <summary>
    /// A member built on our own protocol classes: it opens the cabal, handshakes, offers
    /// <paramref name="keys"/> in one MANIFEST and confirms whatever the bot requests.
    /// </summary>
    private (ProtocolConnection Attacker, MultifeedSession Session) Attack(SetPeer bot, IReadOnlyCollection<string> keys)
    {
        var (attacker, victim) = SetPeer.ConnectionPair();
        _cleanup.Track(attacker);
        var session = bot.Set.Replicate(victim);
        attacker.OpenChannel(_cabal);
        var handshake = attacker.RegisterExtension(MultifeedWire.Handshake, (_, _) => { });
        var manifest = attacker.RegisterExtension(MultifeedWire.Manifest, (_, _) => { });
        ProtocolExtension? replicate = null;
        attacker.RegisterExtension(MultifeedWire.RequestFeeds, (_, body) =>
            replicate!.Send(MultifeedWire.WriteKeyArray(MultifeedWire.ReadKeyArray(body.Span, 1_000_000, "request"))));
        replicate = attacker.RegisterExtension(MultifeedWire.ReplicateFeeds, (_, _) => { });
        attacker.Start();
        handshake.Send(MultifeedWire.WriteHandshake("a77ac"));
        manifest.Send(MultifeedWire.WriteManifest(keys));
        return (attacker, session);
    }

    private static List<string> RandomKeys(int n) => [.. Enumerable.Range(0, n).Select(_ => Convert.ToHexStringLower(Ed25519.NewKeyPair().PublicKey))];

    /// <summary>A member whose client asks for acknowledgements, as the cabal program does (delivery receipts).</summary>
    private async Task<SetPeer> Member(string name)
        => await Peer(name, new MultifeedOptions { Replication = new Cabal.Multifeed.Replication.ReplicationOptions { Ack = true } });

    private static async Task JoinsAndIsAcked(SetPeer bot, SetPeer member)
    {
        await JoinsAndIsStored(bot, member);
        var last = member.Set.LocalFeed.Length - 1;
        await SetPeer.Eventually(() => member.Replicator.Hub(member.Set.LocalFeed).AckCount(last) >= 1, "the bot acknowledged the new member's message");
    }

    private static async Task JoinsAndIsStored(SetPeer bot, SetPeer member)
    {
        await member.SayAsync("hello, I am new");
        var (sb, _) = SetPeer.Connect(bot, member);
        var length = member.Set.LocalFeed.Length;
        await SetPeer.Eventually(() => bot.Set.TryGet(member.Set.LocalFeed.KeyHex) is { } f && f.Contiguous == length,
            "the new member's feed is stored on the bot");
        await SetPeer.Eventually(() => sb.SyncReport().InSync, "the bot is in sync with the new member");
        Assert.Null(sb.EndReason);
    }

    [Fact]
    public async Task AManifestOf100000Keys_StoresNothing_AndNewMembersStillJoin_AlsoAfterARestart()
    {
        var bot = await SetPeer.OpenAsync(_dir, "bot", _cabal);
        try
        {
            var keys = RandomKeys(100_000);
            var (attacker, session) = Attack(bot, keys);
            await SetPeer.Eventually(() => session.Replication.Probes.Count == new MultifeedOptions().NewFeedBurst, "the bot probes its allowance of the offer");
            var report = session.SyncReport();
            Assert.Equal(100_000 - report.FeedsProbing, report.FeedsDeferred);
            Assert.Equal(1, bot.Set.Count); // its own writer: nothing of the attacker's is stored
            Assert.Equal(1, bot.Set.FeedsWithData);
            Assert.False(attacker.IsEnded);

            await JoinsAndIsAcked(bot, await Member("member1"));
            Assert.Equal(2, bot.Set.Count);
        }
        finally { await bot.DisposeAsync(); }

        var again = _cleanup.Track(await SetPeer.OpenAsync(_dir, "bot", _cabal));
        Assert.Equal(2, again.Set.Count);
        await JoinsAndIsAcked(again, await Member("member2"));
        Assert.Equal(3, again.Set.Count);
    }

    [Fact]
    public async Task AnEmptyFeed_IsNotStored_UntilItHasData_OnTheSameConnection()
    {
        var bot = await Peer("bot");
        await bot.SayAsync("welcome");
        var member = await Peer("member");
        var (sb, sm) = SetPeer.Connect(bot, member);
        await SetPeer.Eventually(() => sb.SyncReport().InSync && sm.SyncReport().InSync, "both sides in sync");
        Assert.Null(bot.Set.TryGet(member.Set.LocalFeed.KeyHex));
        Assert.Null(bot.Store.TryGet(member.Set.LocalFeed.Key));
        Assert.Equal(1, sb.SyncReport().FeedsEmptyNotStored);
        Assert.Equal(1, bot.Set.SyncReport().EmptyFeedsNotStored);
        Assert.Contains("1 empty, not stored", bot.Set.SyncReport().ToString());
        Assert.Equal(2, member.Set.Count); // the bot's feed has data: stored on the member

        await member.SayAsync("first words");
        await SetPeer.Eventually(() => bot.Set.TryGet(member.Set.LocalFeed.KeyHex) is { Contiguous: 1 }, "the first block arrives live");
        await member.SayAsync("second words");
        await SetPeer.Eventually(() => bot.Set.TryGet(member.Set.LocalFeed.KeyHex) is { Contiguous: 2 }, "and the next");
        Assert.Equal(0, sb.SyncReport().FeedsEmptyNotStored);
        Assert.Null(sb.EndReason);
    }

    [Fact]
    public async Task NewFeedsBeyondTheBurst_WaitForThePeersAllowance()
    {
        var clock = new ManualTimeProvider();
        var bot = await Peer("bot", new MultifeedOptions { NewFeedBurst = 5, NewFeedsPerMinute = 60, TimeProvider = clock });
        await bot.SayAsync("welcome");
        var member = await Peer("member");
        await member.SayAsync("m");
        for (var i = 0; i < 9; i++) await (await member.Store.CreateWritableAsync(name: "w" + i, group: _cabal)).AppendAsync("x"u8.ToArray());
        var (sb, _) = SetPeer.Connect(bot, member);
        await SetPeer.Eventually(() => bot.Set.Count == 6 && sb.DeferredFeedCount == 5, "five new feeds now, five later");
        Assert.False(sb.SyncReport().InSync);
        clock.Advance(TimeSpan.FromSeconds(10));
        await SetPeer.Eventually(() => bot.Set.Count == 11 && sb.DeferredFeedCount == 0, "the rest once the allowance refilled");
        await SetPeer.Eventually(() => sb.SyncReport().InSync, "in sync");
    }

    [Fact]
    public async Task AtTheFeedCap_AStrangersFeedWaits_AModeratorsIsStored_AndHeldFeedsKeepGrowing()
    {
        var bot = await Peer("bot", new MultifeedOptions { MaxFeeds = 2 });
        await bot.SayAsync("welcome");
        var member = await Peer("member");
        var stranger = await Peer("stranger");
        var moderator = await Peer("moderator");
        bot.Set.Standing = k => k == moderator.Set.LocalFeed.KeyHex ? FeedStanding.Moderator : FeedStanding.Stranger;
        await JoinsAndIsStored(bot, member); // the bot's writer and the member's: the cap

        await stranger.SayAsync("let me in");
        var (ss, _) = SetPeer.Connect(bot, stranger);
        await SetPeer.Eventually(() => ss.RefusedFeedCount == 1, "the stranger's feed is refused at the cap");
        Assert.Null(bot.Set.TryGet(stranger.Set.LocalFeed.KeyHex));
        Assert.Equal(1, ss.SyncReport().FeedsRefused);
        Assert.False(ss.Connection.IsEnded);

        await JoinsAndIsStored(bot, moderator);
        Assert.Equal(3, bot.Set.Count);

        await member.SayAsync("still here");
        await SetPeer.Eventually(() => bot.Set.TryGet(member.Set.LocalFeed.KeyHex) is { Contiguous: 2 }, "a held feed keeps growing at the cap");
    }

    [Fact]
    public async Task OverTheByteCap_AStrangersFeedWaits_AVouchedOneIsStored()
    {
        var bot = await Peer("bot", new MultifeedOptions { MaxStoreBytes = 100 });
        await bot.Set.LocalFeed.AppendAsync(new byte[200]);
        var stranger = await Peer("stranger");
        var vouched = await Peer("vouched");
        bot.Set.Standing = k => k == vouched.Set.LocalFeed.KeyHex ? FeedStanding.Vouched : FeedStanding.Stranger;
        await stranger.SayAsync("hi");
        var (ss, _) = SetPeer.Connect(bot, stranger);
        await SetPeer.Eventually(() => ss.RefusedFeedCount == 1, "refused over the byte cap");
        await JoinsAndIsStored(bot, vouched);
        Assert.Null(bot.Set.TryGet(stranger.Set.LocalFeed.KeyHex));
    }

    [Fact]
    public async Task InLockdown_OnlyVouchedNewFeedsAreTaken_HeldOnesCarryOn_AndLiftingItLetsStrangersIn()
    {
        var bot = await Peer("bot", new MultifeedOptions { Lockdown = true });
        await bot.SayAsync("welcome");
        var known = await Peer("known");
        var stranger = await Peer("stranger");
        var vouched = await Peer("vouched");
        bot.Set.Lockdown = false;
        await JoinsAndIsStored(bot, known);
        bot.Set.Lockdown = true;
        Assert.True(bot.Set.Lockdown);
        bot.Set.Standing = k => k == vouched.Set.LocalFeed.KeyHex ? FeedStanding.Vouched : FeedStanding.Stranger;

        await stranger.SayAsync("let me in");
        var (ss, _) = SetPeer.Connect(bot, stranger);
        await SetPeer.Eventually(() => ss.LockedOutFeedCount == 1, "the stranger's feed is kept out");
        Assert.Null(bot.Set.TryGet(stranger.Set.LocalFeed.KeyHex));
        Assert.Empty(ss.Replication.Probes); // not even probed

        await JoinsAndIsStored(bot, vouched);
        await known.SayAsync("still here");
        await SetPeer.Eventually(() => bot.Set.TryGet(known.Set.LocalFeed.KeyHex) is { Contiguous: 2 }, "a known user's feed keeps growing");

        bot.Set.Lockdown = false;
        await ss.DisposeAsync();
        await JoinsAndIsStored(bot, stranger);
    }
}
