using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

// Issue 20, defects 5 and 4: a member that opens the cabal and then only pings, and one that opens
// feeds nobody agreed to. Each is cut off with a PeerAbuseException; what it sent before is kept.
public sealed class HostileSessionTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly byte[] _cabal = Ed25519.NewKeyPair().PublicKey;
    private readonly AsyncDisposables _cleanup = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<SetPeer> Peer(string name, MultifeedOptions? options = null)
    {
        var p = await SetPeer.OpenAsync(_dir, name, _cabal, options);
        _cleanup.Track(p);
        return p;
    }

    [Fact]
    public async Task AConnectionThatOpensTheCabalThenOnlyPings_IsClosedAtTheHandshakeDeadline()
    {
        var clock = new ManualTimeProvider();
        var bot = await Peer("bot", new MultifeedOptions { HandshakeTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var (attacker, victim) = SetPeer.ConnectionPair();
        _cleanup.Track(attacker);
        var session = bot.Set.Replicate(victim);
        var root = attacker.OpenChannel(_cabal); // knows the cabal key…
        attacker.Start();
        Assert.True(await root.RemoteOpened.WaitAsync(SetPeer.Timeout)); // …and the root channel is open both ways

        clock.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(victim.IsEnded);
        clock.Advance(TimeSpan.FromSeconds(0.2)); // the deadline fires on this thread
        await victim.Completion.WaitAsync(SetPeer.Timeout);
        Assert.IsType<PeerAbuseException>(victim.Error);
        Assert.Contains("no multifeed handshake", session.EndReason);
        Assert.False(await session.Ready);
    }

    [Fact]
    public async Task AnHonestPeerIsNotTouchedByTheDeadline()
    {
        var clock = new ManualTimeProvider();
        var bot = await Peer("bot", new MultifeedOptions { HandshakeTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var member = await Peer("member");
        var (sb, sm) = SetPeer.Connect(bot, member);
        Assert.True(await sb.Ready.WaitAsync(SetPeer.Timeout));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(clock.UntilNextTimer); // the deadline's timer is gone once the handshake arrived
        Assert.False(sb.Connection.IsEnded);
        Assert.Null(sb.EndReason);
    }

    [Fact]
    public async Task OpensForUnknownFeeds_AreDeclined_AndOneTooManyClosesThePeer_KeepingItsFeeds()
    {
        var bot = await Peer("bot", new MultifeedOptions { MaxUnknownOpens = 16 });
        await bot.SayAsync("welcome");
        var member = await Peer("member");
        await member.SayAsync("hello", "world");
        var (sb, sm) = SetPeer.Connect(bot, member);
        await SetPeer.Eventually(() => SetPeer.InSync(bot, member) && bot.Set.Count == 2, "the member's feed reached the bot");

        var declined = Enumerable.Range(0, 16).Select(_ => sm.Connection.OpenChannel(Ed25519.NewKeyPair().PublicKey)).ToList();
        await SetPeer.Eventually(() => sb.UnknownOpenCount == 16, "16 unknown Opens seen");
        foreach (var c in declined) Assert.Equal(ChannelCloseReason.RemoteClose, await c.Closed.WaitAsync(SetPeer.Timeout));
        Assert.False(sb.Connection.IsEnded); // under the cap: declined, not punished

        sm.Connection.OpenChannel(Ed25519.NewKeyPair().PublicKey);
        await sb.Connection.Completion.WaitAsync(SetPeer.Timeout);
        Assert.IsType<PeerAbuseException>(sb.Connection.Error);
        Assert.Contains("not in this cabal", sb.EndReason);
        var kept = bot.Set.TryGet(member.Set.LocalFeed.KeyHex);
        Assert.NotNull(kept);
        Assert.Equal(2UL, kept.Length);
    }

    [Fact]
    public async Task BeforeTheRemotesHandshake_FramesStaySmallEvenOnTheOpenRootChannel()
    {
        var bot = await Peer("bot");
        var (attacker, victim) = SetPeer.ConnectionPair();
        _cleanup.Track(attacker);
        bot.Set.Replicate(victim);
        var root = attacker.OpenChannel(_cabal);
        var flood = attacker.RegisterExtension(MultifeedWire.Manifest, (_, _) => { });
        attacker.Start();
        Assert.True(await root.RemoteOpened.WaitAsync(SetPeer.Timeout));
        Assert.True(victim.ChannelInUse && victim.SmallFramesOnly);
        flood.Send(new byte[200 * 1024]); // a 200 KiB "manifest" with no HANDSHAKE before it
        await victim.Completion.WaitAsync(SetPeer.Timeout);
        Assert.IsType<PeerAbuseException>(victim.Error);
    }

    [Fact]
    public async Task AfterTheHandshake_ALargeManifestIsAccepted()
    {
        var bot = await Peer("bot", new MultifeedOptions { NewFeedBurst = 10_000 });
        var member = await Peer("member");
        // 3,000 feeds: a MANIFEST of about 200 KiB, over the small-frame cap.
        for (var i = 0; i < 3000; i++) await member.Store.CreateWritableAsync(Ed25519.NewKeyPair(), "f" + i, _cabal);
        await SetPeer.Eventually(() => member.Set.Count == 3001, "the member's feeds");
        var (sb, sm) = SetPeer.Connect(bot, member);
        // Every feed of the member's was taken up, and found empty: watched, not stored.
        await SetPeer.Eventually(() => sb.SyncReport().FeedsEmptyNotStored == 3001 || sb.Connection.IsEnded, "the bot probed every offered feed");
        Assert.True(sb.SyncReport().InSync, $"{sb.SyncReport()}; connection error: {sb.Connection.Error?.Message}");
        Assert.Equal(1, bot.Set.Count);
        Assert.False(sb.Connection.SmallFramesOnly);
        Assert.Null(sb.Connection.Error);
    }
}
