using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Net.Transport;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Chat;

// Blocked by me, through the node as the program runs it: the member's feed stops on the live
// connection at once, /block --delete's DeleteFeedsAsync drops its data, and unblocking makes it
// replicable again on the same connection (fetched anew, later entries included).
public sealed class NodeBlockingTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();
    private CabalNode? _bot, _member;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_member is not null) await _member.DisposeAsync();
        if (_bot is not null) await _bot.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task MyBlockStopsTheFeedDeleteDropsItAndUnblockBringsItBack()
    {
        var url = CabalUrl.Generate();
        _bot = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(_dir.Sub("bot")) });
        var bot = await _bot.OpenCabalAsync(url);
        await _bot.StartNetworkAsync(new NetworkOptions { ListenPort = 0 });
        _member = await CabalNode.OpenAsync(new NodeOptions { Paths = new DataPaths(_dir.Sub("member")) });
        var member = await _member.OpenCabalAsync(url);
        await member.PublishTextAsync("default", "m0");
        await _member.StartNetworkAsync(new NetworkOptions { Peers = [PeerAddress.Parse($"127.0.0.1:{_bot.ListenPort}")] });
        var set = _bot.SetOf(bot);
        var m = member.LocalKey;
        await Poll.UntilAsync(() => set.TryGet(m) is { Contiguous: 1 }, "the bot holds the member's first entry", Long);

        await bot.BlockAsync(m, reason: "spam");
        await bot.WaitForOwnEntriesAsync();
        Assert.Contains(m, bot.NetworkBlockedUsers);
        Assert.False(set.MayReplicate(m));
        await Poll.UntilAsync(() => set.Sessions.All(s => s.Replication.PeerFor(set.TryGet(m)!) is null), "the member's channel is closed", Long);
        await member.PublishTextAsync("default", "m1");
        // The member's view of the bot still moves (the bot's own feed), the member's feed does not.
        await bot.PublishTextAsync("default", "bot after the block");
        await Poll.UntilAsync(() => _member.SetOf(member).TryGet(bot.LocalKey) is { Contiguous: >= 2 }, "the member gets the bot's entry", Long);
        await Task.Delay(300);
        Assert.Equal(1UL, set.TryGet(m)!.Length);

        // /block --delete: the data goes; the block keeps it from coming back.
        var deleted = await bot.DeleteFeedsAsync([m]);
        Assert.Single(deleted);
        Assert.Null(_bot.Store.TryGet(Convert.FromHexString(m)));
        await _bot.Store.WaitForPurgesAsync();
        await member.PublishTextAsync("default", "m2");
        await Task.Delay(300);
        Assert.Null(_bot.Store.TryGet(Convert.FromHexString(m)));

        // Unblocked: on the same connection the member's feed is asked for and fetched whole again.
        await bot.UnblockAsync(m);
        await bot.WaitForOwnEntriesAsync();
        Assert.True(set.MayReplicate(m));
        await Poll.UntilAsync(() => set.TryGet(m) is { Contiguous: 3 }, "the unblocked feed is fetched anew", Long);
        await Poll.UntilAsync(() => bot.GetMessages("default").Any(x => x.Text == "m2"), "and indexed", Long);
    }
}
