using Cabal.Chat.Keys;
using Cabal.Cli.Client;

namespace Cabal.Tui.Tests;

/// <summary>/whoiskey, /read, /search, /more, /ids, /panes and /whisper on the view-model over a real cabal.</summary>
public sealed class ToolCommandTests
{
    [Fact]
    public async Task Whoiskey_names_the_key()
    {
        RemoteUser? bob = null;
        await using var h = await VmHarness.StartAsync(async (host, core) => bob = await host.AddUserAsync(core, "bob"));
        Assert.Equal($"{bob!.Key} is currently known as: bob", await h.OneAsync($"/whoiskey \"{bob.Key.ToUpperInvariant()}\""));
        Assert.Equal($"no user associated with key {new string('a', 64)}", await h.OneAsync("/whoiskey " + new string('a', 64)));
        Assert.Equal("usage: /whoiskey <public key>", await h.OneAsync("/whoiskey"));
    }

    [Fact]
    public async Task Read_dumps_one_entry_as_stored()
    {
        RemoteUser? bob = null;
        ulong seq = 0;
        await using var h = await VmHarness.StartAsync(async (host, core) =>
        {
            bob = await host.AddUserAsync(core, "bob");
            seq = await bob.SayAsync("default", "evil\u001b[2Jtext");
        });
        var raw = await h.OneAsync($"/read {bob!.Key}@{seq}");
        Assert.StartsWith("{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":\"evil\\u001b[2Jtext\"}", raw);
        Assert.Equal($"no entry {bob.Key}@{seq + 1} is stored here", await h.OneAsync($"/read {bob.Key}@{seq + 1}"));
        Assert.Equal("usage: /read KEY@SEQ (KEY: 64 hex, SEQ: a number)", await h.OneAsync("/read bob@1"));

        // Whatever an entry holds, it reaches the screen through the sanitiser.
        var evil = await bob.AppendAsync(System.Text.Encoding.UTF8.GetBytes("{\"type\":\"x\",\"content\":{},\"bad\":\"\u001b]0;pwned\u0007\"}"));
        await h.OneAsync($"/read {bob.Key}@{evil}");
        var shown = h.Vm.DisplayLines()[^1].Text;
        Assert.Contains("\uFFFD]0;pwned\uFFFD", shown);
        Assert.DoesNotContain('\u001b', shown);
    }

    [Fact]
    public async Task Search_prints_chat_text_hits_oldest_first()
    {
        await using var h = await VmHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            var t = RemoteUser.Now() - 100_000;
            await bob.SayAsync("default", "a needle here", t);
            await bob.SayAsync("default", "only hay", t + 1000);
            await bob.SayAsync("default", "second needle", t + 2000);
            await bob.AppendAsync(Chat.Messages.MessageEncoder.Chat("chat/emote", "default", "waves a needle", t + 3000));
            await bob.SayAsync("dev", "needle in dev", t + 4000);
        });
        Assert.Equal(["3 matching logs found in #default", "<bob> a needle here", "<bob> second needle"], await h.RunAsync("/search needle", 3));
        Assert.Equal(["1 matching log found in #dev", "<bob> needle in dev"], await h.RunAsync("/search needle --ch #dev", 2));
        Assert.Equal(["0 matching logs found in #default"], await h.RunAsync("/search NEEDLE"));
        Assert.Equal(["channel nowhere does not exist", "usage: /search term [--ch channel]"], await h.RunAsync("/search x --ch nowhere", 2));
        Assert.Equal("usage: /search term [--ch channel]", await h.OneAsync("/search --ch dev"));
        h.Vm.SwitchTo(ChannelRef.Status);
        Assert.Equal("/search looks in a channel: switch to one, or add --ch channel", await h.OneAsync("/search needle"));
    }

    [Fact]
    public async Task More_extends_the_backlog_by_250()
    {
        await using var h = await VmHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            var start = RemoteUser.Now() - 1_000_000;
            for (var i = 0; i < 400; i++) await bob.SayAsync("default", $"msg {i:D3}", start + i * 1000);
        });
        Assert.Equal(CabalSession.PageSize, h.S.Lines.Count);
        Assert.Equal("loaded 250 older messages", await h.OneAsync("/more"));
        Assert.Equal(350, h.S.Lines.Count);
        Assert.Equal("msg 050", h.S.Lines[0].Text);
        Assert.Equal("loaded 50 older messages (start of the channel)", await h.OneAsync("/more"));
        Assert.Equal("msg 000", h.S.Lines[0].Text);
        Assert.Equal("no older messages: this is the start of the channel", await h.OneAsync("/more"));
        h.Vm.SwitchTo(ChannelRef.Status);
        Assert.Equal("/more loads older messages of a channel", await h.OneAsync("/more"));
    }

    [Fact]
    public async Task Ids_toggle_adds_key_prefixes_to_nicks()
    {
        RemoteUser? bob = null;
        await using var h = await VmHarness.StartAsync(async (host, core) =>
        {
            bob = await host.AddUserAsync(core, "bob");
            await bob.JoinAsync("default");
            await bob.SayAsync("default", "hi");
        });
        Assert.Equal("bob", h.Vm.DisplayLines().Single(l => l.Text == "hi").Nick);
        Assert.Equal("toggled identifiers on", await h.OneAsync("/ids"));
        Assert.True(h.Vm.ShowIds);
        Assert.Equal("bob." + bob!.Key[..4], h.Vm.DisplayLines().Single(l => l.Text == "hi").Nick);
        Assert.Contains(h.Vm.NickList(), n => n.Name == "bob." + bob.Key[..4]);
        Assert.Equal("toggled identifiers off", await h.OneAsync("/ids"));
        Assert.Equal("bob", h.Vm.DisplayLines().Single(l => l.Text == "hi").Nick);
    }

    [Fact]
    public async Task Panes_choose_what_ctrl_n_moves_through()
    {
        await using var h = await VmHarness.StartAsync(async (_, core) => await core.JoinAsync("dev"));
        Assert.Equal("usage: /panes channels|cabals", await h.OneAsync("/panes"));
        h.Vm.TogglePane(); // one cabal: Alt-N does nothing
        Assert.Equal(Pane.Channels, h.Vm.Pane);
        h.Vm.NextInPane(+1);
        Assert.Equal(ChannelRef.Channel("dev"), h.S.Current);

        var second = await h.Host.OpenCabalAsync(CabalUrl.Generate(), CancellationToken.None);
        h.Vm.AddSession(second);
        h.Vm.FocusCabal(0);
        Assert.Equal("ctrl-n/ctrl-p now move through the cabals pane", await h.OneAsync("/panes cabals"));
        Assert.StartsWith("cabals (ctrl-n/p): ", h.Vm.CabalsRow());
        h.Vm.NextInPane(+1);
        Assert.Same(second, h.Vm.Session!.Core);
        h.Vm.NextInPane(+1); // wraps
        Assert.Same(h.Core, h.Vm.Session!.Core);
        Assert.Equal(ChannelRef.Channel("dev"), h.S.Current); // the channel did not move

        h.Vm.TogglePane(); // Alt-N back to channels
        Assert.Equal(Pane.Channels, h.Vm.Pane);
        h.Vm.NextInPane(+1);
        Assert.Same(h.Core, h.Vm.Session!.Core);
        Assert.Equal(ChannelRef.Status, h.S.Current);
    }

    [Fact]
    public async Task Whisper_says_it_is_not_supported()
    {
        await using var h = await VmHarness.StartAsync();
        var count = h.Published;
        Assert.StartsWith("not supported in this client: /whisper", await h.OneAsync("/whisper secret"));
        Assert.Equal(count, h.Published);
    }
}
