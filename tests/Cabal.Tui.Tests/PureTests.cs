using Cabal.Cli.Client;

namespace Cabal.Tui.Tests;

/// <summary>The UI-free pieces: command grammar, history, completion, wrapping, nick resolution.</summary>
public sealed class PureTests
{
    [Theory]
    [InlineData("/join dev", "join", "dev")]
    [InlineData("/j #dev", "join", "#dev")]
    [InlineData("/  nick  bob ", "nick", "bob")]
    [InlineData("/part", "leave", "")]
    [InlineData("/emote dances", "me", "dances")]
    [InlineData("/exit", "quit", "")]
    [InlineData("/w bob hi there", "pm", "bob hi there")]
    [InlineData("/restore old", "unarchive", "old")]
    public void Commands_resolve_by_name_then_alias(string line, string name, string argument)
    {
        var p = CommandParser.Parse(line);
        Assert.Equal(InputKind.Command, p.Kind);
        Assert.Equal(name, p.Command!.Name);
        Assert.Equal(argument, p.Argument);
    }

    [Theory]
    [InlineData("hello", InputKind.Text)]
    [InlineData("//not a command", InputKind.Text)]
    [InlineData("/", InputKind.Text)]
    [InlineData("   ", InputKind.Empty)]
    [InlineData("/frob x", InputKind.UnknownCommand)]
    public void Other_lines(string line, InputKind kind) => Assert.Equal(kind, CommandParser.Parse(line).Kind);

    [Fact]
    public void Argument_helpers()
    {
        Assert.Equal("dev", CommandParser.ChannelArgument(" #dev ", "default"));
        Assert.Equal("default", CommandParser.ChannelArgument("", "default"));
        Assert.Equal(("bob", "spamming a lot"), CommandParser.TargetAndRest("bob  spamming a lot"));
        Assert.Equal("hi there", CommandParser.Parse("/pm bob hi there").Rest);
    }

    [Fact]
    public void Every_requested_command_exists()
    {
        foreach (var c in "join leave nick me topic names whoami whois clear channels pm hide unhide block unblock mod unmod admin unadmin archive unarchive add new share help quit".Split(' '))
            Assert.NotNull(CommandCatalog.Find(c));
    }

    [Fact]
    public void History_walks_back_and_restores_the_draft()
    {
        var h = new InputHistory();
        h.Add("one");
        h.Add("two");
        Assert.Equal("two", h.Previous("draft"));
        Assert.Equal("one", h.Previous("two"));
        Assert.Null(h.Previous("one"));
        Assert.Equal("two", h.Next());
        Assert.Equal("draft", h.Next());
        Assert.Null(h.Next());
    }

    [Fact]
    public void Completion_of_commands_channels_and_nicks_cycles()
    {
        var c = new TabCompleter();
        string[] channels = ["design", "dev", "default"];
        string[] nicks = ["Bob", "bobby", "has space"];
        Assert.Equal(("/whoami ", 8), c.Complete("/whoa", 5, channels, nicks));
        c.Reset();
        var first = c.Complete("/join de", 8, channels, nicks)!.Value.Text;
        var second = c.Complete(first, first.Length, channels, nicks)!.Value.Text;
        Assert.Equal("/join default ", first);
        Assert.Equal("/join design ", second);
        c.Reset();
        Assert.Equal("Bob: ", c.Complete("bo", 2, channels, nicks)!.Value.Text);
        Assert.Equal("bobby: ", c.Complete("Bob: ", 5, channels, nicks)!.Value.Text);
        c.Reset();
        Assert.Equal("hi bobby ", c.Complete("hi bobb", 7, channels, nicks)!.Value.Text);
        c.Reset();
        Assert.Null(c.Complete("has", 3, channels, nicks));
    }

    [Fact]
    public void Wrapping_keeps_a_hanging_indent()
    {
        var rows = LineWrapper.Wrap("12:00:00 <bob> the quick brown fox jumps over the dog", 30, 15);
        Assert.Equal(["12:00:00 <bob> the quick brown", "               fox jumps over", "               the dog"], rows);
        Assert.All(LineWrapper.Wrap(new string('x', 100), 20, 4), r => Assert.True(r.Length <= 20));
    }

    [Fact]
    public void Wrapping_gives_a_link_a_row_of_its_own_up_to_the_link_width()
    {
        var url = "cabal://" + new string('a', 64);
        // Fits the pane: its own row, unindented.
        Assert.Equal(["12:00 -status- see", url, "               now"], LineWrapper.Wrap($"12:00 -status- see {url} now", 80, 15));
        // Wider than the pane (61) but not than the terminal (80): still whole, on a row wider than the pane.
        Assert.Equal(["12:00 -status-", url], LineWrapper.Wrap($"12:00 -status- {url}", 61, 15, 80));
        // Wider than the terminal: cut into rows that hold only the link.
        Assert.Equal(["12:00 -status-", url[..60], url[60..], "               ok"], LineWrapper.Wrap($"12:00 -status- {url} ok", 40, 15, 60));
        // An ordinary long word is not a link: it stays within the pane.
        Assert.All(LineWrapper.Wrap("12:00 <bob> " + new string('x', 70), 61, 12, 80), r => Assert.True(r.Length <= 61));
        Assert.True(LineWrapper.IsLink(new string('0', 64)));
        Assert.True(LineWrapper.IsLink(new string('f', 64) + "@12"));
        Assert.False(LineWrapper.IsLink("https://"));
        Assert.False(LineWrapper.IsLink("deadbeef"));
    }

    [Fact]
    public void Nick_resolution_follows_cabal_cli()
    {
        var a = new string('a', 64);
        var b = "b" + new string('1', 63);
        var c = "c" + new string('2', 63);
        var names = new Dictionary<string, string?> { [a] = "bob", [b] = "bob", [c] = null };
        Assert.Equal(2, NickResolver.Resolve("bob", names).Count);
        Assert.Equal([b], NickResolver.Resolve("bob.b1", names));
        Assert.Equal([c], NickResolver.Resolve("c22", names));
        Assert.Equal([a], NickResolver.Resolve(a.ToUpperInvariant(), names));
        Assert.Empty(NickResolver.Resolve("nobody", names));
    }
}
