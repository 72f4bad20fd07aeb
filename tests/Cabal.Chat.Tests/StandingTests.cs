using Cabal.Multifeed.Sets;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

// Who vouches for a user: what the multifeed layer asks at a feed cap and in lockdown (issue 20).
public class StandingTests
{
    [Fact]
    public async Task ModeratorsAndUsersNamedByOneAreVouchedFor_BlockedAndUnknownUsersAreNot()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync(); // the local user is the cabal's admin
        var mod = await fx.AddUserAsync();
        var member = await fx.AddUserAsync();
        var blocked = await fx.AddUserAsync();
        var stranger = await fx.AddUserAsync();
        await core.AddModAsync(mod.KeyHex);
        await core.AddFlagsAsync(member.KeyHex, ["member"], "default");
        await core.BlockAsync(blocked.KeyHex);
        await Sync(core);

        Assert.Equal(FeedStanding.Moderator, core.StandingOf(core.LocalKey));
        Assert.Equal(FeedStanding.Moderator, core.StandingOf(mod.KeyHex));
        Assert.Equal(FeedStanding.Vouched, core.StandingOf(member.KeyHex));
        Assert.Equal(FeedStanding.Stranger, core.StandingOf(blocked.KeyHex));
        Assert.Equal(FeedStanding.Stranger, core.StandingOf(stranger.KeyHex));
        Assert.Equal(FeedStanding.Stranger, core.StandingOf("not a key"));
        Assert.Equal(FeedStanding.Stranger, core.StandingOf(new string('A', 64)));
    }
}
