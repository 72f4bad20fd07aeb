using Cabal.Cli.Client;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace Cabal.Cli.Tui;

/// <summary>
/// Draws prepared rows verbatim. Unlike Label it never interprets its text (no hotkey underscores,
/// no formatting), which matters for remote text: what was sanitised is exactly what is drawn.
/// </summary>
public class LinesView : View
{
    private IReadOnlyList<StyledRow> _rows = [];

    public LinesView() => CanFocus = false;

    public IReadOnlyList<StyledRow> Rows
    {
        get => _rows;
        set { _rows = value; SetNeedsDraw(); }
    }

    /// <summary>Which of <see cref="Rows"/> appear: by default the first ones.</summary>
    protected virtual IReadOnlyList<StyledRow> VisibleRows(int width, int height) => _rows;

    protected override bool OnDrawingContent(DrawContext? context)
    {
        var (width, height) = (Viewport.Width, Viewport.Height);
        var normal = GetAttributeForRole(VisualRole.Normal);
        var rows = VisibleRows(width, height);
        for (var y = 0; y < height; y++)
        {
            var x = 0;
            Move(0, y);
            if (y < rows.Count)
            {
                foreach (var seg in rows[y].Segments)
                {
                    if (x >= width) break;
                    var text = TextFit.Exactly(seg.Text, Math.Min(LineWrapper.Columns(seg.Text), width - x));
                    SetAttribute(Style(normal, seg));
                    AddStr(x, y, text);
                    x += LineWrapper.Columns(text);
                }
            }
            SetAttribute(normal);
            if (x < width) AddStr(x, y, new string(' ', width - x));
        }
        return true;
    }

    private static Attribute Style(Attribute normal, Segment s)
    {
        var fg = s.Foreground is { } c ? new Color(c) : normal.Foreground;
        return s.Reverse ? new Attribute(normal.Background, fg, s.Style) : new Attribute(fg, normal.Background, s.Style);
    }
}
