using Cabal.Cli.Client;
using Terminal.Gui.Drawing;

namespace Cabal.Cli.Tui;

/// <summary>
/// The body of the window, full width: the message column — lines wrapped with a hanging indent,
/// bottom-aligned, scrolled up by the view-model's <see cref="ChatViewModel.Scroll"/> — between the
/// side panes' rows (channel list left, nick list right). One view draws all three so that a URL or
/// key wider than the message column but not than the terminal can take a whole row of its own, from
/// the left edge over the side panes: never split, and a terminal selection of that row holds only it.
/// </summary>
public sealed class MessagePane(ChatViewModel vm) : LinesView
{
    private IReadOnlyList<DisplayLine> _lines = [];
    private (IReadOnlyList<DisplayLine> Lines, int Width, int LinkWidth, List<(StyledRow Row, bool Wide)> Rows)? _wrapped;
    private IReadOnlyList<StyledRow> _left = [], _right = [];
    private int _leftWidth, _rightWidth;

    /// <summary>Wrapped rows at the last draw, and how many fit: what PageUp/PageDown scroll through.</summary>
    public int TotalRows { get; private set; }
    public int PageRows => Math.Max(1, Viewport.Height);

    public void SetLines(IReadOnlyList<DisplayLine> lines)
    {
        _lines = lines;
        SetNeedsDraw();
    }

    /// <summary>
    /// The side panes beside the message column: <paramref name="leftWidth"/> columns of
    /// <paramref name="left"/> rows, then a blank column, the messages, a blank column and
    /// <paramref name="rightWidth"/> columns of <paramref name="right"/> rows (a width of 0: no pane).
    /// </summary>
    public void SetSides(int leftWidth, IReadOnlyList<StyledRow> left, int rightWidth, IReadOnlyList<StyledRow> right)
    {
        (_leftWidth, _left, _rightWidth, _right) = (leftWidth, left, rightWidth, right);
        SetNeedsDraw();
    }

    /// <summary>Columns of the message column itself for a body of <paramref name="width"/>.</summary>
    private int MessageColumns(int width) =>
        Math.Max(1, width - (_leftWidth > 0 ? _leftWidth + 1 : 0) - (_rightWidth > 0 ? _rightWidth + 1 : 0));

    protected override IReadOnlyList<StyledRow> VisibleRows(int width, int height)
    {
        var columns = MessageColumns(width);
        // Re-wrap only when the lines or the widths changed; scrolling reuses the wrapped rows.
        if (_wrapped is not { } w || !ReferenceEquals(w.Lines, _lines) || w.Width != columns || w.LinkWidth != width)
            _wrapped = w = (_lines, columns, width, _lines.SelectMany(l => Wrap(l, columns, width)).ToList());
        TotalRows = w.Rows.Count;
        var scroll = Math.Clamp(vm.Scroll, 0, Math.Max(0, w.Rows.Count - height));
        var end = w.Rows.Count - scroll;
        var start = Math.Max(0, end - height);
        var visible = w.Rows.GetRange(start, end - start);
        // Bottom-aligned like a chat log: pad above when there are fewer rows than the pane holds.
        if (visible.Count < height) visible.InsertRange(0, Enumerable.Repeat((new StyledRow(""), false), height - visible.Count));
        return visible.Select((r, y) => r.Wide ? r.Row : Compose(r.Row, y, columns)).ToList();
    }

    // One screen row: left pane, gap, message row, gap, right pane.
    private StyledRow Compose(StyledRow message, int y, int columns)
    {
        if (_leftWidth == 0 && _rightWidth == 0) return message;
        var segments = new List<Segment>();
        if (_leftWidth > 0)
        {
            Fit(segments, y < _left.Count ? _left[y] : null, _leftWidth);
            segments.Add(new Segment(" "));
        }
        Fit(segments, message, columns);
        if (_rightWidth > 0)
        {
            segments.Add(new Segment(" "));
            Fit(segments, y < _right.Count ? _right[y] : null, _rightWidth);
        }
        return new StyledRow(segments);
    }

    // Adds a row's segments cut or padded to exactly `columns`.
    private static void Fit(List<Segment> into, StyledRow? row, int columns)
    {
        var used = 0;
        foreach (var seg in row?.Segments ?? [])
        {
            if (used >= columns) break;
            var text = TextFit.Exactly(seg.Text, Math.Min(LineWrapper.Columns(seg.Text), columns - used));
            into.Add(seg with { Text = text });
            used += LineWrapper.Columns(text);
        }
        if (used < columns) into.Add(new Segment(new string(' ', columns - used)));
    }

    // A link too wide for the message column comes back Wide: drawn alone from the left edge.
    private IEnumerable<(StyledRow, bool)> Wrap(DisplayLine line, int width, int linkWidth)
    {
        var rows = LineWrapper.WrapRows(line.Plain, width, line.Indent, linkWidth);
        var first = rows[0].Text;
        var tag = Math.Min(first.Length, Math.Max(0, line.Indent - line.Time.Length));
        var (nickInk, nick) = line switch
        {
            { Kind: LineKind.Notice } => (Ink.Dim, 0),
            { Mention: true } => (Ink.Mention, 0),
            _ when line.AuthorKey == vm.Session?.Core.LocalKey => (Ink.Strong, 0),
            _ => (Ink.Nick, Theme.NickIndex(line.AuthorKey)),
        };
        var textInk = line.Kind is LineKind.Emote or LineKind.Topic ? Ink.Emote : Ink.Normal;
        var timeLen = Math.Min(first.Length, line.Time.Length);
        yield return (new StyledRow(
        [
            new Segment(first[..timeLen], Ink.Dim),
            new Segment(first.Substring(timeLen, Math.Min(tag, first.Length - timeLen)), nickInk, TextStyle.Bold, nick),
            new Segment(first[Math.Min(first.Length, timeLen + tag)..], textInk),
        ]), rows[0].Wide);
        foreach (var r in rows.Skip(1)) yield return (new StyledRow(r.Text, textInk), r.Wide);
    }
}
