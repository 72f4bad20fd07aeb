using Cabal.Cli.Tui;
using Terminal.Gui.Input;

namespace Cabal.Tui.Tests;

/// <summary>The panes at the three sizes people use: wide, the classic 80×24, and a small split.</summary>
public sealed class LayoutScreenTests
{
    [Theory]
    [InlineData(120, 40)]
    [InlineData(80, 24)]
    [InlineData(60, 20)]
    public async Task Message_column_keeps_forty_columns_and_panes_give_way(int cols, int rows)
    {
        await using var ui = await TuiHarness.StartAsync(cols: cols, rows: rows);
        var screen = await ui.WaitForTextAsync("[alice:default]");
        var layout = ui.Controller.Window.CurrentLayout;
        Assert.True(layout.MessageWidth >= 40, $"message column {layout.MessageWidth}");
        var row1 = screen.Split('\n')[1].TrimEnd();
        if (cols >= 100) Assert.EndsWith("alice", row1); // nick list
        else Assert.False(layout.ShowNicks);
        if (cols < 80)
        {
            Assert.True(layout.ChannelBar);
            Assert.StartsWith("1.!status 2.default", row1);
            Assert.Equal(cols, layout.MessageWidth);
        }
        else Assert.Contains(" 2. default", ui.ChannelRow(screen, "default"));

        // F2 flips the nick list, but never below forty columns of messages.
        ui.Press(Key.F2);
        ui.Screen();
        layout = ui.Controller.Window.CurrentLayout;
        Assert.Equal(cols < 100, layout.ShowNicks); // hidden by default below 100, shown by F2: 60 - 17 still leaves 43
        Assert.True(layout.MessageWidth >= 40, $"message column {layout.MessageWidth} after F2");
    }

    [Theory]
    [InlineData(120, 40)]
    [InlineData(80, 24)]
    [InlineData(60, 20)]
    public async Task The_cabal_url_is_never_split_where_it_fits(int cols, int rows)
    {
        await using var ui = await TuiHarness.StartAsync(cols: cols, rows: rows);
        await ui.WaitForTextAsync("[alice:default]");
        ui.Enter("/share");
        var url = "cabal://" + ui.Core.KeyHex;
        var screen = await ui.WaitForTextAsync(url[..20]);
        var layout = ui.Controller.Window.CurrentLayout;
        var whole = screen.Split('\n').Any(l => l.Contains(url, StringComparison.Ordinal));
        if (layout.MessageWidth >= url.Length) Assert.True(whole, screen);
        // On !status the topic bar carries the URL whole whenever the terminal is wide enough.
        ui.Press(new Key('1').WithAlt);
        screen = await ui.WaitForTextAsync("[alice:!status]");
        if (cols > url.Length) Assert.Contains(url, screen.Split('\n')[0]);
    }
}
