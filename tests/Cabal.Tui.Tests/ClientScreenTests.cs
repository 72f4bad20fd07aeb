using Terminal.Gui.Input;

namespace Cabal.Tui.Tests;

/// <summary>The whole client on a headless terminal: keys in, screen out.</summary>
public sealed class ClientScreenTests
{
    [Fact]
    public async Task First_frame_shows_the_latest_messages_of_the_channel()
    {
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            await bob.JoinAsync("default");
            await bob.SayAsync("default", "good morning");
        });
        var screen = await ui.WaitForTextAsync("<bob> good morning");
        Assert.Contains("#default", screen);
        Assert.Contains("[alice:default]", screen);
        Assert.Contains(" bob", screen); // nick list
    }

    [Fact]
    public async Task Commands_and_channel_switching()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");

        ui.Enter("hello world");
        await ui.WaitForTextAsync("<alice> hello world");

        ui.Enter("/join #dev");
        var screen = await ui.WaitForTextAsync("[alice:dev]");
        Assert.Contains("dev", ui.ChannelRow(screen, "dev"));
        Assert.DoesNotContain("hello world", screen);

        ui.Enter("/topic the dev room");
        await ui.WaitForTextAsync("#dev ➤ the dev room");

        ui.Enter("/me waves");
        await ui.WaitForTextAsync("* alice waves");

        ui.Press(Key.P.WithCtrl); // back up the list: default
        await ui.WaitForTextAsync("[alice:default]");
        ui.Press(Key.N.WithCtrl);
        await ui.WaitForTextAsync("[alice:dev]");
        ui.Press(Key.CursorDown.WithAlt); // wraps to !status
        await ui.WaitForTextAsync("[alice:!status]");
        ui.Press(new Key('3').WithAlt);
        await ui.WaitForTextAsync("[alice:dev]");

        ui.Enter("/nick carol");
        await ui.WaitForTextAsync("[carol:dev]");

        ui.Enter("/whoami");
        await ui.WaitForTextAsync(ui.Core.LocalKey[..40]);

        ui.Enter("/frobnicate now");
        await ui.WaitForTextAsync("frobnicate is not a command. type /help for commands");

        ui.Enter("/clear");
        await ui.WaitForAsync(s => !s.Contains("frobnicate"), "/clear to remove the notes");

        ui.Enter("/leave");
        screen = await ui.WaitForTextAsync("[carol:default]");
        Assert.Equal("", ui.ChannelRow(screen, "dev"));

        ui.Enter("/share");
        await ui.WaitForTextAsync("cabal://" + ui.Core.KeyHex[..20]);
    }

    [Fact]
    public async Task Commands_typed_in_quick_succession_apply_in_order()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");
        // Typed (or pasted) faster than storage and the index keep up: each command's work runs after
        // the one before and sees its result.
        ui.Enter("/join quick");
        ui.Enter("/leave");
        ui.Enter("/join quick");
        for (var i = 1; i <= 8; i++) ui.Enter($"line {i}");
        ui.Enter("/channels");
        await ui.WaitForTextAsync("* quick (1)");

        await ui.Core.WaitForIndexAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ui.Core.IsMember(ui.Core.LocalKey, "quick"));
        var lines = ui.Core.GetMessages("quick").Where(m => m.Text.StartsWith("line ", StringComparison.Ordinal)).OrderBy(m => m.Seq).Select(m => m.Text);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"line {i}"), lines);
    }

    [Fact]
    public async Task Unread_counts_and_mentions_then_ctrl_r_jumps_there()
    {
        await using var ui = await TuiHarness.StartAsync(async (_, core) => await core.JoinAsync("dev"));
        await ui.WaitForTextAsync("[alice:default]");
        var bob = await ui.Host.AddUserAsync(ui.Core, "bob");
        await bob.SayAsync("dev", "anyone here?");
        await bob.SayAsync("dev", "hey alice, look at this");
        await bob.SayAsync("dev", "third");

        var screen = await ui.WaitForAsync(s => ui.ChannelRow(s, "dev").Contains('@') && ui.ChannelRow(s, "dev").TrimEnd().EndsWith('3'), "@dev with 3 unread");
        Assert.DoesNotContain("hey alice", screen); // not the focused channel

        ui.Press(Key.R.WithCtrl);
        screen = await ui.WaitForTextAsync("[alice:dev]");
        screen = await ui.WaitForTextAsync("<bob> hey alice, look at this");
        var row = ui.ChannelRow(screen, "dev");
        Assert.DoesNotContain("@", row);
        Assert.False(row.TrimEnd().EndsWith('3'), row);

        // A message in the focused channel is not unread.
        await bob.SayAsync("dev", "live one");
        screen = await ui.WaitForTextAsync("<bob> live one");
        Assert.DoesNotContain("*", ui.ChannelRow(screen, "dev"));
    }

    [Fact]
    public async Task Delivery_receipt_goes_from_pending_to_stored_by_peers()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");
        ui.Enter("is this delivered?");
        await ui.WaitForTextAsync("last message: pending");
        var seq = ui.Vm.Session!.LastSent!.Seq;

        ui.Host.SetAcks(ui.Core, seq, 1);
        await ui.WaitForTextAsync("last message: stored by 1 peer");
        ui.Host.SetAcks(ui.Core, seq, 3);
        await ui.WaitForTextAsync("last message: stored by 3 peers");

        ui.Host.Peers = 2;
        ui.Host.SetAcks(ui.Core, seq, 3);
        await ui.WaitForTextAsync("2 peers");
    }

    [Fact]
    public async Task Hostile_text_is_shown_neutralised()
    {
        const string evil = "evil\u001b[2J\u001b]0;pwned\u0007done\u202egnp.exe";
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var mallory = await host.AddUserAsync(core, "mal\u001b[31mlory");
            await mallory.SayAsync("default", evil);
            await core.SetTopicAsync("default", "topic\u001b[5m!");
        });
        var screen = await ui.WaitForTextAsync("evil\uFFFD[2J\uFFFD]0;pwned\uFFFDdone\uFFFDgnp.exe");
        Assert.Contains("mal\uFFFD[31mlory", screen);
        Assert.Contains("topic\uFFFD[5m!", screen);
        Assert.DoesNotContain('\u001b', screen);
        Assert.DoesNotContain('\u0007', screen);
        Assert.DoesNotContain('\u202e', screen);
    }

    [Fact]
    public async Task Page_up_loads_older_pages_on_demand()
    {
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            var start = RemoteUser.Now() - 1_000_000;
            for (var i = 0; i < 260; i++) await bob.SayAsync("default", $"msg {i:D3}", start + i * 1000);
        });
        await ui.WaitForTextAsync("<bob> msg 259");
        Assert.Equal(100, ui.Vm.Session!.Lines.Count); // one page, not the whole channel
        string screen = "";
        for (var i = 0; i < 40 && !screen.Contains("<bob> msg 000"); i++)
        {
            ui.Press(Key.PageUp);
            screen = await ui.WaitForAsync(_ => !ui.Vm.Session!.LoadingOlder, "older page");
        }
        Assert.Contains("<bob> msg 000", screen);
        Assert.True(ui.Vm.Session!.Lines.Count >= 260);
        Assert.True(ui.Vm.Session.ReachedStart);

        for (var i = 0; i < 40; i++) ui.Press(Key.PageDown);
        await ui.WaitForTextAsync("<bob> msg 259");
    }

    [Fact]
    public async Task Input_history_and_tab_completion()
    {
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bobby");
            await bob.SayAsync("default", "hi");
            await core.JoinAsync("devops");
        });
        await ui.WaitForTextAsync("<bobby> hi");
        var input = ui.Controller.Window.Input;

        ui.Type("/jo");
        ui.Press(Key.Tab);
        Assert.Equal("/join ", input.Text);
        ui.Type("dev");
        ui.Press(Key.Tab);
        Assert.Equal("/join devops ", input.Text);
        ui.Press(Key.U.WithCtrl);

        ui.Type("bob");
        ui.Press(Key.Tab);
        Assert.Equal("bobby: ", input.Text);
        ui.Type("ping");
        ui.Press(Key.Enter);
        await ui.WaitForTextAsync("<alice> bobby: ping");

        ui.Enter("second");
        ui.Type("draft");
        ui.Press(Key.CursorUp);
        Assert.Equal("second", input.Text);
        ui.Press(Key.CursorUp);
        Assert.Equal("bobby: ping", input.Text);
        ui.Press(Key.CursorDown);
        ui.Press(Key.CursorDown);
        Assert.Equal("draft", input.Text);
    }

    [Fact]
    public async Task New_cabal_opens_beside_the_first_and_alt_arrows_switch()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");
        ui.Enter("/new");
        var screen = await ui.WaitForAsync(s => s.Contains("cabals:"), "the cabals row");
        Assert.Equal(2, ui.Vm.Sessions.Count);
        var second = ui.Vm.Sessions[1].Core.KeyHex[..6];
        Assert.Contains($"({second})", screen);
        ui.Press(Key.CursorLeft.WithAlt);
        await ui.WaitForTextAsync($"({ui.Core.KeyHex[..6]})");
        await ui.WaitForTextAsync("[alice:default]");
    }

    [Fact]
    public async Task Nick_list_toggles_with_f2()
    {
        await using var ui = await TuiHarness.StartAsync();
        var screen = await ui.WaitForTextAsync("[alice:default]");
        Assert.EndsWith("alice", screen.Split('\n')[1].TrimEnd());
        ui.Press(Key.F2);
        screen = await ui.WaitForAsync(s => !s.Split('\n')[1].TrimEnd().EndsWith("alice"), "nick list hidden");
    }
}
