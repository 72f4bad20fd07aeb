using Cabal.Cli.Client;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;

namespace Cabal.Cli.Tui;

/// <summary>
/// Draws prepared rows verbatim. Unlike Label it never interprets its text (no hotkey underscores,
/// no formatting), which matters for remote text: what was sanitised is exactly what is drawn.
/// </summary>
public class LinesView : View
{
    private IReadOnlyList<StyledRow> _rows = [];

    public LinesView() => CanFocus = false;

    /// <summary>The colours rows are drawn with; a bar view fills its empty space with <see cref="Fill"/>.</summary>
    public Theme Theme { get; set; } = Theme.Dark;

    /// <summary>What the space after the last segment of a row is drawn as (a bar fills the whole row).</summary>
    public Ink Fill { get; set; } = Ink.Normal;

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
        var fill = Theme.Of(Fill);
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
                    SetAttribute(Theme.Of(seg.Ink, seg.Nick, seg.Style));
                    AddStr(x, y, text);
                    x += LineWrapper.Columns(text);
                }
            }
            SetAttribute(fill);
            if (x < width) AddStr(x, y, new string(' ', width - x));
        }
        return true;
    }
}
