using Cabal.Cli.Client;
using Terminal.Gui.Input;

namespace Cabal.Tui.Tests;

/// <summary>The new commands and keys on the headless terminal: typed in, read back from the screen.</summary>
public sealed class CommandScreenTests
{
    [Fact]
    public async Task Ids_show_key_prefixes_and_alt_l_hides_them_again()
    {
        RemoteUser? bob = null;
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            bob = await host.AddUserAsync(core, "bob");
            await bob.JoinAsync("default");
            await bob.SayAsync("default", "hi there");
        });
        await ui.WaitForTextAsync("<bob> hi there");
        var withId = $"<bob.{bob!.Key[..4]}> hi there";

        ui.Enter("/ids");
        var screen = await ui.WaitForTextAsync(withId);
        Assert.Contains("-status- toggled identifiers on", screen);
        Assert.Contains($"alice.{ui.Core.LocalKey[..4]}", screen); // nick list too

        ui.Press(Key.L.WithAlt);
        screen = await ui.WaitForTextAsync("<bob> hi there");
        Assert.DoesNotContain(withId, screen);
        Assert.Contains("-status- toggled identifiers off", screen);
    }

    [Fact]
    public async Task Search_results_appear_as_status_lines()
    {
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            var t = RemoteUser.Now() - 100_000;
            await bob.SayAsync("dev", "first needle", t);
            await bob.SayAsync("dev", "no match", t + 1000);
            await bob.SayAsync("dev", "needle again", t + 2000);
        });
        await ui.WaitForTextAsync("[alice:default]");
        ui.Enter("/search needle --ch dev");
        var screen = await ui.WaitForTextAsync("-status- 2 matching logs found in #dev");
        screen = await ui.WaitForTextAsync("-status- <bob> needle again");
        Assert.Contains("-status- <bob> first needle", screen);
        Assert.DoesNotContain("no match", screen);
        Assert.True(screen.IndexOf("first needle", StringComparison.Ordinal) < screen.IndexOf("needle again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hides_lists_a_user_after_hide()
    {
        await using var ui = await TuiHarness.StartAsync(async (host, core) =>
        {
            var bob = await host.AddUserAsync(core, "bob");
            await bob.SayAsync("default", "buy my stuff");
        });
        await ui.WaitForTextAsync("<bob> buy my stuff");
        ui.Enter("/hides");
        await ui.WaitForTextAsync("you don't have any hides");
        ui.Enter("/hide bob --reason spam");
        await ui.WaitForTextAsync("-status- hid bob");
        ui.Enter("/hide bob");
        await ui.WaitForTextAsync("-status- bob is already hidden");
        ui.Enter("/hides");
        var screen = await ui.WaitForTextAsync("-status- hide: bob [");
        Assert.Matches(@"hide: bob \[[-0-9: ]+\] spam", screen);
    }

    [Fact]
    public async Task Alt_0_goes_to_the_tenth_entry()
    {
        await using var ui = await TuiHarness.StartAsync(async (_, core) =>
        {
            foreach (var c in "c1 c2 c3 c4 c5 c6 c7 c8 c9".Split(' ')) await core.JoinAsync(c);
        });
        await ui.WaitForAsync(_ => ui.Vm.ChannelEntries().Count == 11, "11 entries: !status, 9 channels and default");
        ui.Press(new Key('0').WithAlt);
        Assert.Equal(ui.Vm.ChannelEntries()[9].Ref, ui.Vm.Session!.Current);
        await ui.WaitForTextAsync("[alice:c9]");
    }

    [Fact]
    public async Task Alt_n_selects_the_cabals_pane_for_ctrl_n()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");
        ui.Press(Key.N.WithAlt); // one cabal: nothing to switch to
        Assert.Equal(Pane.Channels, ui.Vm.Pane);

        ui.Enter("/new");
        await ui.WaitForAsync(s => s.Contains("cabals:"), "the cabals row");
        var first = ui.Core.KeyHex[..6];
        ui.Press(Key.N.WithAlt);
        await ui.WaitForTextAsync("cabals (ctrl-n/p):");
        ui.Press(Key.N.WithCtrl);
        await ui.WaitForTextAsync($"({first})");
        ui.Press(Key.P.WithCtrl);
        await ui.WaitForAsync(s => !s.Contains($"({first})"), "the second cabal focused again");

        ui.Enter("/panes channels");
        await ui.WaitForAsync(s => s.Contains("cabals: ") && !s.Contains("(ctrl-n/p)"), "the channels pane selected");
    }
}
