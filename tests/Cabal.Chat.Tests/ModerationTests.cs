using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class ModerationTests
{
    [Fact]
    public async Task LocalUserIsAdminAndItsHideHidesMessages()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var spammer = await fx.AddUserAsync();
        await Say(spammer, "default", "spam", 1);
        await core.PublishTextAsync("default", "ham");
        await Sync(core);
        Assert.Contains("admin", core.GetFlags(core.LocalKey));
        Assert.Equal(2, core.GetMessages("default").Count);

        await core.HideAsync(spammer.KeyHex, reason: "spam");
        await Sync(core);
        Assert.True(core.IsHidden(spammer.KeyHex, "default"));
        Assert.Equal(["ham"], core.GetMessages("default").Select(m => m.Text));
        Assert.Equal(2, core.GetMessages("default", new MessageQuery { IncludeHidden = true }).Count);
        var row = Assert.Single(core.ListHidden());
        Assert.Equal(spammer.KeyHex, row.Id);
        Assert.Equal(core.LocalKey + "@" + (core.LocalFeed.Length - 1), row.Provenance);
        Assert.Single(core.ListModerationBy(core.LocalKey));

        await core.UnhideAsync(spammer.KeyHex);
        await core.BlockAsync(spammer.KeyHex, "default");
        await Sync(core);
        Assert.False(core.IsHidden(spammer.KeyHex));
        Assert.True(core.IsHidden(spammer.KeyHex, "default")); // block hides too (HideBlockedUsers)
    }

    [Fact]
    public async Task WaitingForOwnEntriesMakesAFlagChangeVisibleToTheNextQuery()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var spammer = await fx.AddUserAsync();
        await Sync(core);
        // No WaitForIndexAsync: only the local writer's entries are waited for, each time at once.
        for (var i = 0; i < 20; i++)
        {
            if (i % 2 == 0) await core.HideAsync(spammer.KeyHex); else await core.UnhideAsync(spammer.KeyHex);
            await core.WaitForOwnEntriesAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(i % 2 == 0, core.IsHidden(spammer.KeyHex));
        }

        // Once the cabal is closed, a wait ends with an error instead of never.
        await core.DisposeAsync();
        await core.LocalFeed.AppendAsync("written after the close"u8.ToArray());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => core.WaitForOwnEntriesAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AuthorityComesFromUrlKeysAndRoleMessagesAtIndexTime()
    {
        await using var fx = new ChatFixture();
        var admin = await fx.AddUserAsync("admin");
        var mod = await fx.AddUserAsync("mod");
        var plain = await fx.AddUserAsync("plain");
        var victim = await fx.AddUserAsync("victim");
        var url = new CabalUrl(fx.Url.KeyHex, [admin.KeyHex], [mod.KeyHex]);
        var core = await fx.OpenAsync(url);
        Assert.Contains("admin", core.GetFlags(admin.KeyHex));
        Assert.Contains("mod", core.GetFlags(mod.KeyHex));
        Assert.Null(Assert.Single(core.ListAdmins(), r => r.Id == admin.KeyHex).Provenance);

        string Hide(string target, string channel = "@") =>
            $"{{\"type\":\"flags/add\",\"content\":{{\"id\":\"{target}\",\"channel\":\"{channel}\",\"flags\":[\"hide\"]}},\"timestamp\":1}}";
        await Raw(plain, Hide(victim.KeyHex));           // no authority: refused for good
        await Raw(mod, Hide(admin.KeyHex));              // a mod cannot touch an admin
        await Raw(mod, Hide(core.LocalKey));             // nobody can hide the local user
        await Sync(core);
        Assert.Empty(core.ListHidden());
        Assert.DoesNotContain("hide", core.GetFlags(core.LocalKey));

        await Raw(admin, $"{{\"type\":\"flags/add\",\"content\":{{\"id\":\"{plain.KeyHex}\",\"channel\":\"x\",\"flags\":[\"mod\"]}},\"timestamp\":2}}");
        await Sync(core);
        await Raw(plain, Hide(victim.KeyHex, "x"));      // a channel mod acts in its channel…
        await Raw(plain, Hide(victim.KeyHex, "@"));      // …but not cabal-wide
        await Raw(mod, Hide(victim.KeyHex, "y"));        // a cabal-wide mod acts in any channel
        await Sync(core);
        Assert.True(core.IsHidden(victim.KeyHex, "x"));
        Assert.True(core.IsHidden(victim.KeyHex, "y"));
        Assert.False(core.IsHidden(victim.KeyHex, "z"));
        Assert.Empty(core.ListHidden());

        // URL-granted roles last only while the URL says so.
        await fx.CloseAsync(core);
        var again = await fx.OpenAsync(fx.Url);
        Assert.DoesNotContain("admin", again.GetFlags(admin.KeyHex));
        Assert.DoesNotContain("mod", again.GetFlags(mod.KeyHex));
        Assert.True(again.IsHidden(victim.KeyHex, "y")); // past actions stay in effect
    }

    [Fact]
    public async Task ModsCanAppointAdminsButNotDemoteThem()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var mod = await fx.AddUserAsync("mod");
        var user = await fx.AddUserAsync("user");
        await core.AddModAsync(mod.KeyHex);
        await Sync(core);
        await Raw(mod, $"{{\"type\":\"flags/add\",\"content\":{{\"id\":\"{user.KeyHex}\",\"channel\":\"@\",\"flags\":[\"admin\"]}},\"timestamp\":1}}");
        await Raw(mod, $"{{\"type\":\"flags/remove\",\"content\":{{\"id\":\"{user.KeyHex}\",\"channel\":\"@\",\"flags\":[\"admin\"]}},\"timestamp\":2}}");
        await Sync(core);
        Assert.Contains("admin", core.GetFlags(user.KeyHex));
        await core.RemoveAdminAsync(user.KeyHex);
        await Sync(core);
        Assert.DoesNotContain("admin", core.GetFlags(user.KeyHex));
        Assert.Equal(2, core.ListModerationBy(mod.KeyHex).Count);
    }
}
