using System.Text.Json;
using Cabal.Cli.Client;

namespace Cabal.Tui.Tests;

/// <summary>The moderation commands on the view-model over a real cabal: what is published, what is refused, what is listed.</summary>
public sealed class ModerationCommandTests
{
    private static async Task<(VmHarness H, RemoteUser Bob, RemoteUser Carol)> StartAsync()
    {
        RemoteUser? bob = null, carol = null;
        var h = await VmHarness.StartAsync(async (host, core) =>
        {
            bob = await host.AddUserAsync(core, "bob");
            carol = await host.AddUserAsync(core, "carol");
            await bob.SayAsync("dev", "the dev channel exists");
        });
        return (h, bob!, carol!);
    }

    private static string[] Flags(JsonElement entry) => entry.GetProperty("content").GetProperty("flags").EnumerateArray().Select(f => f.GetString()!).ToArray();

    private static void AssertFlagsEntry(JsonElement e, string type, string id, string channel, string[] flags, string? reason)
    {
        Assert.Equal(type, e.GetProperty("type").GetString());
        var c = e.GetProperty("content");
        Assert.Equal(id, c.GetProperty("id").GetString());
        Assert.Equal(channel, c.GetProperty("channel").GetString());
        Assert.Equal(flags, Flags(e));
        if (reason is null) Assert.False(c.TryGetProperty("reason", out _));
        else Assert.Equal(reason, c.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Hide_publishes_once_then_refuses_until_unhidden()
    {
        var (h, bob, _) = await StartAsync();
        await using var _h = h;
        Assert.Equal($"hid bob ({bob.Key[..8]}) for the entire cabal", await h.OneAsync("/hide bob spamming a lot"));
        AssertFlagsEntry(h.LastEntry(), "flags/add", bob.Key, "@", ["hide"], "spamming a lot");
        Assert.True(h.Core.IsHidden(bob.Key));

        var count = h.Published;
        Assert.Equal("bob is already hidden", await h.OneAsync("/hide bob"));
        Assert.Equal(count, h.Published);

        Assert.StartsWith("unhid bob", await h.OneAsync("/unhide bob"));
        AssertFlagsEntry(h.LastEntry(), "flags/remove", bob.Key, "@", ["hide"], null);
        Assert.Equal("cannot unhide bob: they are not hidden", await h.OneAsync("/unhide bob"));
        Assert.Equal(count + 1, h.Published);
    }

    [Fact]
    public async Task Hiding_removes_the_users_loaded_messages_and_unhiding_brings_them_back()
    {
        var (h, bob, _) = await StartAsync();
        await using var _h = h;
        h.Vm.Submit("/join dev");
        bool Shown() => h.S.Lines.Any(l => l.Author == bob.Key && l.Text == "the dev channel exists");
        await h.WaitAsync(Shown, "bob's message in #dev");

        await h.OneAsync("/hide bob");
        await h.WaitAsync(() => !Shown(), "bob's message gone after /hide");
        await h.OneAsync("/unhide bob");
        await h.WaitAsync(Shown, "bob's message back after /unhide");
    }

    [Fact]
    public async Task Archive_notices_only_for_me_and_for_admins_and_mods()
    {
        var (h, bob, carol) = await StartAsync();
        await using var _h = h;
        h.Vm.SwitchTo(ChannelRef.Status);
        async Task ArchiveAsync(RemoteUser who, string reason)
        {
            await who.AppendAsync(Cabal.Chat.Messages.MessageEncoder.Archive(Cabal.Chat.Messages.MessageTypes.Archive, "dev", reason, RemoteUser.Now() + 1000));
            await h.Core.WaitForIndexAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }

        await ArchiveAsync(carol, "not mine to archive");
        await h.RunAsync("/mod bob"); // a later batch: carol's archive event has been applied by now
        await ArchiveAsync(bob, "by a mod");
        await h.WaitAsync(() => h.Notes().Any(n => n.Contains("archived #dev", StringComparison.Ordinal)), "bob's archive notice");
        Assert.Single(h.Notes(), n => n.Contains("archived #dev", StringComparison.Ordinal));
        Assert.StartsWith("bob", h.Notes().Single(n => n.Contains("archived #dev", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Channel_and_reason_options_in_any_order()
    {
        var (h, bob, carol) = await StartAsync();
        await using var _h = h;
        Assert.Equal($"hid bob ({bob.Key[..8]}) in channel dev", await h.OneAsync("/hide bob --channel dev --reason too loud"));
        AssertFlagsEntry(h.LastEntry(), "flags/add", bob.Key, "dev", ["hide"], "too loud");
        Assert.True(h.Core.IsHidden(bob.Key, "dev"));
        Assert.False(h.Core.IsHidden(bob.Key));

        Assert.Equal("bob is already hidden", await h.OneAsync("/hide bob --channel #dev"));
        Assert.StartsWith("made carol a mod", await h.OneAsync("/mod carol --reason trusted here --channel dev"));
        AssertFlagsEntry(h.LastEntry(), "flags/add", carol.Key, "dev", ["mod"], "trusted here");

        var count = h.Published;
        Assert.Equal("channel nowhere does not exist", await h.OneAsync("/hide bob --channel nowhere"));
        Assert.Equal("carol is not a mod for the entire cabal", await h.OneAsync("/unmod carol"));
        Assert.Equal("carol is already a mod in channel dev", await h.OneAsync("/mod carol --channel dev"));
        Assert.Equal(count, h.Published);
    }

    [Fact]
    public async Task Block_checks_the_block_state_not_the_hidden_one()
    {
        var (h, bob, carol) = await StartAsync();
        await using var _h = h;
        await h.OneAsync("/hide bob");
        // cabal-cli would refuse here ("already hidden"); the block flag itself is what we test.
        Assert.StartsWith("blocked bob", await h.OneAsync("/block bob"));
        AssertFlagsEntry(h.LastEntry(), "flags/add", bob.Key, "@", ["block"], null);
        Assert.Equal("bob is already blocked", await h.OneAsync("/block bob"));
        Assert.Equal("cannot unblock carol: they are not blocked", await h.OneAsync("/unblock carol"));
        Assert.StartsWith("unblocked bob", await h.OneAsync("/unblock bob reformed"));
        AssertFlagsEntry(h.LastEntry(), "flags/remove", bob.Key, "@", ["block"], "reformed");
    }

    [Fact]
    public async Task Mod_and_admin_pre_checks()
    {
        var (h, bob, _) = await StartAsync();
        await using var _h = h;
        Assert.Equal("bob is not a mod for the entire cabal", await h.OneAsync("/unmod bob"));
        Assert.Equal("bob is not an admin for the entire cabal", await h.OneAsync("/unadmin bob"));
        Assert.Equal("alice is already an admin for the entire cabal", await h.OneAsync("/admin alice"));
        Assert.StartsWith("made bob an admin", await h.OneAsync("/admin bob"));
        AssertFlagsEntry(h.LastEntry(), "flags/add", bob.Key, "@", ["admin"], null);
        Assert.Equal("bob is already an admin in channel dev", await h.OneAsync("/admin bob --channel dev"));
        Assert.StartsWith("removed bob as an admin", await h.OneAsync("/unadmin bob"));
        AssertFlagsEntry(h.LastEntry(), "flags/remove", bob.Key, "@", ["admin"], null);
        Assert.Equal("no user matches nobody", await h.OneAsync("/mod nobody"));
        Assert.StartsWith("usage: /mod NICK", await h.OneAsync("/mod"));
    }

    [Fact]
    public async Task Archive_refusals_and_archives_listing()
    {
        var (h, _, _) = await StartAsync();
        await using var _h = h;
        var count = h.Published;
        Assert.Equal("nowhere does not exist", await h.OneAsync("/archive nowhere"));
        Assert.Equal("the !status channel cannot be archived", await h.OneAsync("/archive !status"));
        Assert.Equal("channel dev is not archived", await h.OneAsync("/unarchive dev"));
        Assert.Equal(count, h.Published);

        Assert.Equal("archived dev", await h.OneAsync("/archive #dev --reason old stuff"));
        var e = h.LastEntry();
        Assert.Equal("channel/archive", e.GetProperty("type").GetString());
        Assert.Equal("old stuff", e.GetProperty("content").GetProperty("reason").GetString());
        Assert.Equal("channel dev is already archived", await h.OneAsync("/archive dev"));
        Assert.Equal(["all archived channels:", "  dev", "channels you have restored:", "there are no restored channels. restore an archived channel with /unarchive <channel name>"],
            await h.RunAsync("/archived", 4));

        Assert.Equal("restored dev", await h.OneAsync("/restore --channel dev --reason back"));
        Assert.Equal("back", h.LastEntry().GetProperty("content").GetProperty("reason").GetString());
        Assert.Equal(["all archived channels:", "no channels are archived", "channels you have restored:", "  dev"], await h.RunAsync("/archives", 4));
    }

    [Fact]
    public async Task Flag_listings_roles_and_flags_json()
    {
        var (h, bob, carol) = await StartAsync();
        await using var _h = h;
        Assert.Equal(["moderation roles", "you currently have no applied moderators or admins, other than yourself", "see /moderation, for how to add some"], await h.RunAsync("/roles", 3));
        Assert.Equal("you don't have any hides", await h.OneAsync("/hides"));
        Assert.Equal("admin: alice", await h.OneAsync("/admins"));

        await h.OneAsync("/hide bob spam");
        await h.OneAsync("/mod carol");
        var hide = await h.OneAsync("/hides");
        Assert.StartsWith("hide: bob [", hide);
        Assert.EndsWith("] spam", hide);
        Assert.StartsWith("mod: carol", await h.OneAsync("/mods"));
        Assert.Equal("you don't have any blocks", await h.OneAsync("/blocks"));
        Assert.Equal(["moderation roles", "alice: admin", "carol: moderator"], await h.RunAsync("/roles", 3));

        var rows = await h.RunAsync("/flags", 3);
        var bobRow = JsonDocument.Parse(Assert.Single(rows, r => r.Contains(bob.Key))).RootElement;
        Assert.Equal("@", bobRow.GetProperty("channel").GetString());
        Assert.Equal(["hide"], bobRow.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal($"{h.Core.LocalKey}@", bobRow.GetProperty("key").GetString()![..65]);
        var mine = JsonDocument.Parse(Assert.Single(rows, r => r.Contains(h.Core.LocalKey + "\",\"channel"))).RootElement;
        Assert.False(mine.TryGetProperty("key", out _)); // the bootstrap's own admin row has no provenance
        Assert.Equal(rows, await h.RunAsync("/flag list", 3));
    }

    [Fact]
    public async Task Actions_and_inspect_list_flags_entries()
    {
        var (h, bob, carol) = await StartAsync();
        await using var _h = h;
        Assert.Equal(["moderation actions", "no recorded historic moderation actions"], await h.RunAsync("/actions", 2));
        await h.OneAsync("/hide bob r1");
        await h.OneAsync("/mod carol r2");
        // carol is my mod now, so her actions count and are listed.
        await new RemoteUserWriter(h).FlagsAsync(carol, "flags/remove", bob.Key, "hide");

        var actions = await h.RunAsync("/actions", 4);
        Assert.Equal("moderation actions", actions[0]);
        Assert.Matches(@"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] alice hid bob r1$", actions[1]);
        Assert.Matches(@"^\[.*\] alice added carol as mod r2$", actions[2]);
        Assert.Matches(@"^\[.*\] carol unhid bob$", actions[3]);

        var inspect = await h.RunAsync("/inspect alice", 3);
        Assert.Equal($"# moderation for alice.{h.Core.LocalKey[..8]}", inspect[0]);
        Assert.Matches($@"^\+hide bob\.{bob.Key[..8]} \[.*\] r1$", inspect[1]);
        Assert.Matches($@"^\+mod carol\.{carol.Key[..8]} \[.*\] r2$", inspect[2]);
        Assert.Equal([$"# moderation for bob.{bob.Key[..8]}", "  no moderation actions"], await h.RunAsync($"/inspect bob.{bob.Key[..6]}", 2));
        Assert.Equal("no user matches nobody", await h.OneAsync("/inspect nobody"));
        Assert.Equal("usage: /inspect NICK{.PUBKEY}", await h.OneAsync("/inspect"));
    }

    [Fact]
    public async Task Flag_add_remove_set_and_get()
    {
        var (h, bob, _) = await StartAsync();
        await using var _h = h;
        Assert.Equal(["usage: /flag (add|remove|set) NICK{.PUBKEY} [flags...]", "usage: /flag get NICK{.PUBKEY}", "usage: /flag list"], await h.RunAsync("/flag", 3));
        Assert.Equal(3, (await h.RunAsync("/flag add bob", 3)).Count);

        await h.OneAsync("/flag add bob foo bar");
        AssertFlagsEntry(h.LastEntry(), "flags/add", bob.Key, "@", ["foo", "bar"], null);
        Assert.Equal($"{bob.Key}: bar foo", await h.OneAsync("/flag get bob"));
        await h.OneAsync("/flag remove bob foo");
        AssertFlagsEntry(h.LastEntry(), "flags/remove", bob.Key, "@", ["foo"], null);
        await h.OneAsync("/flag set bob baz");
        AssertFlagsEntry(h.LastEntry(), "flags/set", bob.Key, "@", ["baz"], null);
        Assert.Equal($"{bob.Key}: baz", await h.OneAsync("/flag get bob"));
        await h.OneAsync("/flag set bob");
        Assert.Equal($"{bob.Key}: ", await h.OneAsync("/flag get bob"));
    }

    [Fact]
    public async Task Moderation_explains_and_help_lists_the_new_commands()
    {
        var (h, _, _) = await StartAsync();
        await using var _h = h;
        h.Vm.Submit("/moderation");
        Assert.Equal("moderation commands", h.Notes()[0]);
        Assert.Contains(h.Notes(), n => n.StartsWith("/inspect NICK{.PUBKEY}", StringComparison.Ordinal));
        h.S.ClearNotes(h.S.Current);
        h.Vm.Submit("/help moderation");
        foreach (var c in new[] { "/hides", "/blocks", "/mods", "/admins", "/roles", "/actions", "/inspect", "/flag ", "/flags", "/ids", "/moderation", "/archives" })
            Assert.Contains(h.Notes(), n => n.StartsWith(c, StringComparison.Ordinal));
    }
}

/// <summary>Writes raw flags/* entries as another user (as replication would bring them).</summary>
internal sealed class RemoteUserWriter(VmHarness h)
{
    public async Task FlagsAsync(RemoteUser author, string type, string target, params string[] flags)
    {
        var json = $"{{\"type\":\"{type}\",\"content\":{{\"id\":\"{target}\",\"channel\":\"@\",\"flags\":[{string.Join(",", flags.Select(f => $"\"{f}\""))}]}},\"timestamp\":{RemoteUser.Now() + 1000}}}";
        await author.AppendAsync(System.Text.Encoding.UTF8.GetBytes(json));
        await h.Core.WaitForIndexAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }
}
