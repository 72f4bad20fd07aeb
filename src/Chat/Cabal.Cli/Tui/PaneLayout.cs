namespace Cabal.Cli.Tui;

/// <summary>
/// Where the panes go for a terminal size. The message column is what people read, so it keeps at
/// least <see cref="MinMessageColumns"/> when the terminal has them: below 100 columns the nick list
/// hides (F2 shows it again, if the messages keep their 40), below 80 the channel list becomes a
/// one-line bar under the topic. A URL wider than the message column is not a reason to change this:
/// <see cref="MessagePane"/> gives it a row of the full width over the side panes.
/// </summary>
public readonly record struct PaneLayout(bool ChannelBar, bool ShowNicks, int MessageX, int MessageY, int MessageWidth)
{
    public const int ChannelWidth = 18;
    public const int NickWidth = 16;
    public const int MinMessageColumns = 40;
    public const int NickListFrom = 100;
    public const int ChannelPaneFrom = 80;

    /// <param name="nicksToggled">F2 was pressed an odd number of times: the opposite of the default for this width.</param>
    public static PaneLayout For(int width, bool nicksToggled)
    {
        var bar = width < ChannelPaneFrom;
        var x = bar ? 0 : ChannelWidth + 1;
        var nicks = (width >= NickListFrom) != nicksToggled && width - x - (NickWidth + 1) >= MinMessageColumns;
        return new PaneLayout(bar, nicks, x, bar ? 2 : 1, Math.Max(1, width - x - (nicks ? NickWidth + 1 : 0)));
    }
}
