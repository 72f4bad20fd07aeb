using Cabal.Cli.Client;
using Terminal.Gui.Drawing;

namespace Cabal.Cli.Tui;

/// <summary>
/// The message area: lines wrapped to the pane's width with a hanging indent, bottom-aligned,
/// scrolled up by the view-model's <see cref="ChatViewModel.Scroll"/>.
/// </summary>
public sealed class MessagePane(ChatViewModel vm) : LinesView
{
    private static readonly ColorName16[] NickColors =
    [
        ColorName16.BrightRed, ColorName16.BrightGreen, ColorName16.BrightYellow, ColorName16.BrightBlue, ColorName16.BrightMagenta,
        ColorName16.BrightCyan, ColorName16.Green, ColorName16.Yellow, ColorName16.Blue, ColorName16.Magenta, ColorName16.Cyan,
    ];

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

    private static IEnumerable<StyledRow> Wrap(DisplayLine line, int width)
    {
        var rows = LineWrapper.Wrap(line.Plain, width, line.Indent);
        var tag = Math.Min(rows[0].Length, Math.Max(0, line.Indent - line.Time.Length));
        var first = rows[0];
        var nickColor = line.Kind switch
        {
            LineKind.Notice => ColorName16.DarkGray,
            _ => NickColors[line.AuthorKey.Sum(c => Uri.IsHexDigit(c) ? Convert.ToInt32(c.ToString(), 16) : 0) % NickColors.Length],
        };
        var timeLen = Math.Min(first.Length, line.Time.Length);
        yield return new StyledRow(
        [
            new Segment(first[..timeLen], ColorName16.DarkGray),
            new Segment(first.Substring(timeLen, Math.Min(tag, first.Length - timeLen)), line.Mention ? ColorName16.BrightRed : nickColor, TextStyle.Bold, line.Mention),
            new Segment(first[Math.Min(first.Length, timeLen + tag)..], line.Kind is LineKind.Emote or LineKind.Topic ? ColorName16.Magenta : null),
        ]);
        foreach (var r in rows.Skip(1)) yield return new StyledRow(r, line.Kind is LineKind.Emote or LineKind.Topic ? ColorName16.Magenta : null);
    }
}
