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
    [InlineData(100, 30)]
    [InlineData(80, 24)]
    [InlineData(74, 24)]
    [InlineData(72, 20)]
    [InlineData(60, 20)]
    public async Task The_cabal_url_is_never_split_where_it_fits(int cols, int rows)
    {
        await using var ui = await TuiHarness.StartAsync(cols: cols, rows: rows);
        await ui.WaitForTextAsync("[alice:default]");
        ui.Enter("/whoami");
        var screen = await ui.WaitForTextAsync(ui.Core.LocalKey[..20]);
        AssertCopyable(screen, ui.Core.LocalKey, cols);
        ui.Enter("/share");
        var url = "cabal://" + ui.Core.KeyHex;
        screen = await ui.WaitForTextAsync("the same invite");
        AssertCopyable(screen, url, cols);
        // The admin invite (cabal://KEY?admin=KEY) is longer than the terminal: cut, but into rows that hold only it.
        var admin = ui.Vm.DisplayLines().Last().Text.Split(' ').Last();
        Assert.StartsWith(url + "?admin=", admin);
        AssertCopyable(screen, admin, cols);
        // Between the side panes the message column is narrower than the URL (61 columns at 80): the
        // URL's row then spans the terminal from the left edge, holding nothing but the URL.
        var layout = ui.Controller.Window.CurrentLayout;
        if (layout.MessageWidth < url.Length && cols >= url.Length) Assert.Contains(url, screen.Split('\n').Select(r => r.TrimEnd()));
        // The channel list is still there on the other rows.
        if (!layout.ChannelBar) Assert.Contains(" 2. default", ui.ChannelRow(screen, "default"));

        // F2 squeezes the message column further; the URL still takes a row of its own.
        ui.Press(Key.F2);
        AssertCopyable(ui.Screen(), url, cols);

        // On !status the topic bar carries the URL whole whenever the terminal is wide enough.
        ui.Press(new Key('1').WithAlt);
        screen = await ui.WaitForTextAsync("[alice:!status]");
        if (cols > url.Length) Assert.Contains(url, screen.Split('\n')[0]);
    }

    // The text is whole on one row (below the topic bar) when it fits the terminal; otherwise it fills
    // consecutive rows that hold nothing else, so a selection of those rows is exactly the text.
    private static void AssertCopyable(string screen, string text, int cols)
    {
        var rows = screen.Split('\n').Skip(1).Select(r => r.TrimEnd()).ToList();
        if (text.Length <= cols)
        {
            Assert.True(rows.Any(r => r.Contains(text, StringComparison.Ordinal)), $"{text} whole on a row:\n{screen}");
            return;
        }
        var n = (text.Length + cols - 1) / cols;
        Assert.True(Enumerable.Range(0, rows.Count).Any(start => string.Concat(rows.Skip(start).Take(n)) == text),
            $"{text} in {n} rows of its own:\n{screen}");
    }
}
