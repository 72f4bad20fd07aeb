using Terminal.Gui.Drawing;

namespace Cabal.Cli.Tui;

/// <summary>A piece of a row with its colour (null: the view's normal colour).</summary>
public readonly record struct Segment(string Text, ColorName16? Foreground = null, TextStyle Style = TextStyle.None, bool Reverse = false);

/// <summary>One screen row made of coloured segments.</summary>
public sealed record StyledRow(IReadOnlyList<Segment> Segments)
{
    public StyledRow(string text, ColorName16? fg = null, TextStyle style = TextStyle.None, bool reverse = false)
        : this([new Segment(text, fg, style, reverse)]) { }

    public string Text => string.Concat(Segments.Select(s => s.Text));
}
