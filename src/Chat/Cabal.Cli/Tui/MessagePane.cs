using Cabal.Cli.Client;
using Terminal.Gui.Drawing;

namespace Cabal.Cli.Tui;

/// <summary>
/// The message area: lines wrapped to the pane's width with a hanging indent, bottom-aligned,
/// scrolled up by the view-model's <see cref="ChatViewModel.Scroll"/>.
/// </summary>
public sealed class MessagePane(ChatViewModel vm) : LinesView
{
    private IReadOnlyList<DisplayLine> _lines = [];
    private (IReadOnlyList<DisplayLine> Lines, int Width, List<StyledRow> Rows)? _wrapped;

    /// <summary>Wrapped rows at the last draw, and how many fit: what PageUp/PageDown scroll through.</summary>
    public int TotalRows { get; private set; }
    public int PageRows => Math.Max(1, Viewport.Height);

    public void SetLines(IReadOnlyList<DisplayLine> lines)
    {
        _lines = lines;
        SetNeedsDraw();
    }

    protected override IReadOnlyList<StyledRow> VisibleRows(int width, int height)
    {
        // Re-wrap only when the lines or the width changed; scrolling reuses the wrapped rows.
        if (_wrapped is not { } w || !ReferenceEquals(w.Lines, _lines) || w.Width != width)
            _wrapped = w = (_lines, width, _lines.SelectMany(l => Wrap(l, width)).ToList());
        TotalRows = w.Rows.Count;
        var scroll = Math.Clamp(vm.Scroll, 0, Math.Max(0, w.Rows.Count - height));
        var end = w.Rows.Count - scroll;
        var start = Math.Max(0, end - height);
        var visible = w.Rows.GetRange(start, end - start);
        // Bottom-aligned like a chat log: pad above when there are fewer rows than the pane holds.
        if (visible.Count < height) visible.InsertRange(0, Enumerable.Repeat(new StyledRow(""), height - visible.Count));
        return visible;
    }

    private IEnumerable<StyledRow> Wrap(DisplayLine line, int width)
    {
        var rows = LineWrapper.Wrap(line.Plain, width, line.Indent);
        var tag = Math.Min(rows[0].Length, Math.Max(0, line.Indent - line.Time.Length));
        var first = rows[0];
        var (nickInk, nick) = line switch
        {
            { Kind: LineKind.Notice } => (Ink.Dim, 0),
            { Mention: true } => (Ink.Mention, 0),
            _ when line.AuthorKey == vm.Session?.Core.LocalKey => (Ink.Strong, 0),
            _ => (Ink.Nick, Theme.NickIndex(line.AuthorKey)),
        };
        var textInk = line.Kind is LineKind.Emote or LineKind.Topic ? Ink.Emote : Ink.Normal;
        var timeLen = Math.Min(first.Length, line.Time.Length);
        yield return new StyledRow(
        [
            new Segment(first[..timeLen], Ink.Dim),
            new Segment(first.Substring(timeLen, Math.Min(tag, first.Length - timeLen)), nickInk, TextStyle.Bold, nick),
            new Segment(first[Math.Min(first.Length, timeLen + tag)..], textInk),
        ]);
        foreach (var r in rows.Skip(1)) yield return new StyledRow(r, textInk);
    }
}
