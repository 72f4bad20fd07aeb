using Cabal.Cli.Client;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Cabal.Cli.Tui;

/// <summary>
/// cabal-cli's layout: topic bar on top; channel list left; messages in the middle; nick list right
/// (toggleable); status line; prompt and input line at the bottom. It only draws what the
/// view-model says — no state of its own beyond the input line's text.
/// </summary>
public sealed class ChatWindow : Runnable
{
    public const int ChannelWidth = 18;
    public const int NickWidth = 16;

    private readonly ChatViewModel _vm;
    private readonly LinesView _topic = new() { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 };
    private readonly LinesView _channels = new() { X = 0, Y = 1, Width = ChannelWidth, Height = Dim.Fill(2) };
    private readonly LinesView _nicks = new() { X = Pos.AnchorEnd(NickWidth), Y = 1, Width = NickWidth, Height = Dim.Fill(2) };
    private readonly LinesView _status = new() { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill(), Height = 1 };
    private readonly LinesView _prompt = new() { X = 0, Y = Pos.AnchorEnd(1), Width = 1, Height = 1 };

    public ChatWindow(ChatViewModel vm)
    {
        _vm = vm;
        Width = Dim.Fill();
        Height = Dim.Fill();
        Messages = new MessagePane(vm) { X = ChannelWidth + 1, Y = 1, Width = Dim.Fill(NickWidth + 1), Height = Dim.Fill(2) };
        Input = new TextField { X = 1, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1 };
        Add(_topic, _channels, Messages, _nicks, _status, _prompt, Input);
        Input.SetFocus();
    }

    public MessagePane Messages { get; }
    public TextField Input { get; }

    /// <summary>Copies the view-model's state into the panes (UI thread, after a batch of changes).</summary>
    public void Refresh()
    {
        _topic.Rows = [new StyledRow(" " + _vm.TopicBar(), ColorName16.White, TextStyle.Bold, reverse: true)];
        _channels.Rows = _vm.ChannelEntries().Select((e, i) => ChannelRow(e, i)).ToList();
        Messages.SetLines(_vm.DisplayLines());
        _nicks.Visible = _vm.ShowNicks;
        Messages.Width = Dim.Fill(_vm.ShowNicks ? NickWidth + 1 : 0);
        _nicks.Rows = _vm.NickList().Select(n => new StyledRow(" " + n.Name, n.Online ? ColorName16.White : ColorName16.Gray, n.Online ? TextStyle.Bold : TextStyle.None)).ToList();
        var cabals = _vm.CabalsRow();
        _status.Rows = [new StyledRow(" " + (cabals is null ? "" : cabals + " │ ") + _vm.StatusLine(), ColorName16.Black, TextStyle.None, reverse: true)];
        var prompt = _vm.Prompt() + " ";
        _prompt.Width = LineWrapper.Columns(prompt);
        _prompt.Rows = [new StyledRow(prompt, ColorName16.BrightCyan)];
        Input.X = LineWrapper.Columns(prompt);
        SetNeedsDraw();
    }

    private static StyledRow ChannelRow(ChannelEntry e, int index)
    {
        var mark = e.Mention ? "@" : e.Unread > 0 ? "*" : " ";
        var count = e.Unread > 0 ? $" {e.Unread}" : "";
        var text = $"{(e.Current ? ">" : " ")}{index + 1,2}.{mark}{e.Label}";
        var width = ChannelWidth - LineWrapper.Columns(count);
        var fg = e.Mention ? ColorName16.BrightMagenta : e.Unread > 0 ? ColorName16.BrightGreen : e.Ref.Kind == ChannelKind.Private ? ColorName16.Cyan : (ColorName16?)null;
        return new StyledRow([new Segment(TextFit.Exactly(text, Math.Max(1, width)) + count, fg, e.Current ? TextStyle.Bold : TextStyle.None, e.Current)]);
    }
}
