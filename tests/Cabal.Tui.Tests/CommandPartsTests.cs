using Cabal.Chat.Moderation;
using Cabal.Cli.Client;

namespace Cabal.Tui.Tests;

/// <summary>The UI-free pieces of the new commands: option parsing, refusals, action lines, id prefixes, catalog.</summary>
public sealed class CommandPartsTests
{
    [Theory]
    [InlineData("spamming a lot", "spamming a lot", null, null)]
    [InlineData("--channel dev --reason too loud", "", "dev", "too loud")]
    [InlineData("--reason too loud  --channel dev", "", "dev", "too loud")]
    [InlineData("plain words --reason why", "plain words", null, "why")]
    [InlineData("a--b is not an option", "a--b is not an option", null, null)]
    [InlineData("--channel", "", null, null)]
    public void Options_parse_like_cabal_client(string argument, string plain, string? channel, string? reason)
    {
        var o = CommandOptions.Parse(argument);
        Assert.Equal(plain, o.Plain);
        Assert.Equal(channel, o.Get("channel"));
        Assert.Equal(reason, o.Get("reason"));
    }

    [Fact]
    public void Refusals_follow_the_flag_state()
    {
        Assert.Equal("bob is already a mod in channel dev", ChatViewModel.ModerationRefusal("mod", false, true, "bob", "dev"));
        Assert.Equal("bob is not an admin for the entire cabal", ChatViewModel.ModerationRefusal("admin", true, false, "bob", "@"));
        Assert.Equal("bob is already blocked", ChatViewModel.ModerationRefusal("block", false, true, "bob", "@"));
        Assert.Null(ChatViewModel.ModerationRefusal("block", false, false, "bob", "@"));
        Assert.Null(ChatViewModel.ModerationRefusal("hide", true, true, "bob", "@"));
    }

    [Fact]
    public void Action_lines_name_the_author_the_target_and_the_role()
    {
        var a = new string('a', 64);
        var b = new string('b', 64);
        string Name(string k) => k == a ? "alice" : "bob";
        Assert.EndsWith(" alice added bob as mod because", ChatViewModel.DescribeAction(new ModerationAction(a, 1, "flags/add", b, "@", ["mod"], "because", 1000), Name));
        Assert.EndsWith(" alice unhid bob in dev", ChatViewModel.DescribeAction(new ModerationAction(a, 1, "flags/remove", b, "dev", ["hide"], null, 1000), Name));
        Assert.Equal("alice set the flags of bob to [x,y]", ChatViewModel.DescribeAction(new ModerationAction(a, 1, "flags/set", b, "@", ["x", "y"], "", null), Name));
    }

    [Fact]
    public void Key_prefixes_are_four_hex_extended_where_keys_collide()
    {
        var p = KeyPrefixes.Compute(["abcd1111", "abcd2222", "abce0000", "ffff0000", "abcd2299"]);
        Assert.Equal(5, p["abcd1111"]);
        Assert.Equal(7, p["abcd2222"]);
        Assert.Equal(7, p["abcd2299"]);
        Assert.Equal(4, p["abce0000"]);
        Assert.Equal(4, p["ffff0000"]);
    }

    [Fact]
    public void Every_cabal_cli_command_is_in_the_catalog_with_its_aliases()
    {
        foreach (var c in "hides blocks mods admins roles actions inspect flag flags moderation archives whoiskey read search more ids panes whisper".Split(' '))
            Assert.Equal(c, CommandCatalog.Find(c)?.Name);
        Assert.Equal("archives", CommandCatalog.Find("archived")?.Name);
        Assert.All(CommandCatalog.All, c => Assert.Contains(c.Section, CommandCatalog.Sections));
        Assert.Equal(CommandCatalog.Words.Count(), CommandCatalog.Words.Distinct().Count());
    }

    [Fact]
    public void Tab_completes_the_new_commands_and_archive_channels()
    {
        var c = new TabCompleter();
        Assert.Equal(("/whoiskey ", 10), c.Complete("/whoisk", 7, [], []));
        c.Reset();
        Assert.Equal("/inspect ", c.Complete("/insp", 5, [], [])!.Value.Text);
        c.Reset();
        Assert.Equal("/archive design ", c.Complete("/archive des", 12, ["design", "dev"], [])!.Value.Text);
        c.Reset();
        Assert.Equal("/hide bobby ", c.Complete("/hide bob", 9, [], ["bobby"])!.Value.Text);
    }
}
