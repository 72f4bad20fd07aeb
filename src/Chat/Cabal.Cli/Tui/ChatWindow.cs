using Cabal.Cli.Client;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Cabal.Cli.Tui;

/// <summary>
/// cabal-cli's layout: topic bar on top; channel list left (a one-line bar on narrow terminals);
/// messages in the middle; nick list right (on wide terminals, F2 toggles); status line; prompt and
/// input line at the bottom. The side panes are drawn by the <see cref="MessagePane"/>, which spans
/// the body's full width, so that a long URL can take a whole row over them. It only draws what the
/// view-model says — no state of its own beyond the input line's text — in the colours of its <see cref="Theme"/>.
/// </summary>
public sealed class ChatWindow : Runnable
{
    public const int ChannelWidth = PaneLayout.ChannelWidth;
    public const int NickWidth = PaneLayout.NickWidth;

    private readonly ChatViewModel _vm;
    private readonly LinesView _topic = new() { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Fill = Ink.Bar };
    private readonly LinesView _channelBar = new() { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
    private readonly LinesView _status = new() { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill(), Height = 1, Fill = Ink.Bar };
    private readonly LinesView _prompt = new() { X = 0, Y = Pos.AnchorEnd(1), Width = 1, Height = 1 };
    private PaneLayout? _layout;

    public ChatWindow(ChatViewModel vm, Theme? theme = null)
    {
        _vm = vm;
        Theme = theme ?? Theme.Dark;
        Width = Dim.Fill();
        Height = Dim.Fill();
        Messages = new MessagePane(vm) { X = 0, Y = 1, Width = Dim.Fill(), Height = Dim.Fill(2) };
        Input = new TextField { X = 1, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1 };
        foreach (var v in new LinesView[] { _topic, _channelBar, _status, _prompt, Messages }) v.Theme = Theme;
        // The whole window, the input line included, in the terminal's own colours.
        var scheme = Theme.Scheme();
        SetScheme(scheme);
        Input.SetScheme(scheme);
        Add(_topic, _channelBar, Messages, _status, _prompt, Input);
        Input.SetFocus();
        ViewportChanged += (_, _) => { if (PaneLayout.For(Viewport.Width, _vm.NicksToggled) != _layout) Refresh(); };
    }

    public Theme Theme { get; }
    public MessagePane Messages { get; }
    public TextField Input { get; }

    /// <summary>The layout of the last refresh (for tests).</summary>
    public PaneLayout CurrentLayout => _layout ?? PaneLayout.For(Viewport.Width, _vm.NicksToggled);

    /// <summary>Copies the view-model's state into the panes (UI thread, after a batch of changes).</summary>
    public void Refresh()
    {
        var width = Viewport.Width > 0 ? Viewport.Width : 120;
        var layout = PaneLayout.For(width, _vm.NicksToggled);
        _layout = layout;
        _topic.Rows = [new StyledRow(" " + _vm.TopicBar(), Ink.Bar, TextStyle.Bold)];
        var entries = _vm.ChannelEntries();
        List<StyledRow> channels = [];
        _channelBar.Visible = layout.ChannelBar;
        if (layout.ChannelBar)
            _channelBar.Rows = [new StyledRow(entries.Select((e, i) => BarEntry(e, i)).SelectMany(s => s).ToList())];
        else
        {
            channels = entries.Select((e, i) => ChannelRow(e, i)).ToList();
            var others = _vm.OtherCabals();
            if (others.Count > 0)
            {
                channels.Add(new StyledRow(""));
                channels.Add(new StyledRow(" cabals (alt-←/→)", Ink.Dim));
                channels.AddRange(others.Select(o => new StyledRow(TextFit.Exactly("  " + o, ChannelWidth), o.EndsWith('*') ? Ink.Unread : Ink.Normal)));
            }
        }
        var nicks = layout.ShowNicks
            ? _vm.NickList().Select(n => new StyledRow(" " + n.Name, n.Me ? Ink.Strong : n.Online ? Ink.Normal : Ink.Dim)).ToList()
            : [];
        Messages.Y = layout.MessageY;
        Messages.SetSides(layout.ChannelBar ? 0 : ChannelWidth, channels, layout.ShowNicks ? NickWidth : 0, nicks);
        Messages.SetLines(_vm.DisplayLines());
        var cabals = _vm.CabalsRow();
        _status.Rows = [new StyledRow(" " + (cabals is null ? "" : cabals + " │ ") + _vm.StatusLine(), Ink.Bar)];
        var prompt = _vm.Prompt() + " ";
        _prompt.Width = LineWrapper.Columns(prompt);
        _prompt.Rows = [new StyledRow(prompt, Ink.Prompt)];
        Input.X = LineWrapper.Columns(prompt);
        SetNeedsDraw();
    }

    private static StyledRow ChannelRow(ChannelEntry e, int index)
    {
        var mark = e.Mention ? "@" : e.Unread > 0 ? "*" : " ";
        var count = e.Unread > 0 ? $" {e.Unread}" : "";
        var text = $"{(e.Current ? ">" : " ")}{index + 1,2}.{mark}{e.Label}";
        var width = ChannelWidth - LineWrapper.Columns(count);
        return new StyledRow([new Segment(TextFit.Exactly(text, Math.Max(1, width)) + count, EntryInk(e), e.Current ? TextStyle.Bold | TextStyle.Underline : TextStyle.None)]);
    }

    // The narrow form: "1.!status 2.default* …" on one line, the current entry bold and underlined.
    private static IEnumerable<Segment> BarEntry(ChannelEntry e, int index)
    {
        var mark = e.Mention ? "@" : e.Unread > 0 ? "*" : "";
        yield return new Segment($"{index + 1}.{e.Label}{mark}", EntryInk(e), e.Current ? TextStyle.Bold | TextStyle.Underline : TextStyle.None);
        yield return new Segment(" ");
    }

    private static Ink EntryInk(ChannelEntry e) =>
        e.Mention ? Ink.Mention : e.Unread > 0 ? Ink.Unread : e.Ref.Kind == ChannelKind.Private ? Ink.Private : Ink.Normal;
}
