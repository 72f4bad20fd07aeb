using Terminal.Gui.Drawing;

namespace Cabal.Cli.Tui;

/// <summary>A piece of a row and what it is (the theme picks its colours); <paramref name="Nick"/> picks a nick colour.</summary>
public readonly record struct Segment(string Text, Ink Ink = Ink.Normal, TextStyle Style = TextStyle.None, int Nick = 0);

/// <summary>One screen row made of styled segments.</summary>
public sealed record StyledRow(IReadOnlyList<Segment> Segments)
{
    public StyledRow(string text, Ink ink = Ink.Normal, TextStyle style = TextStyle.None)
        : this([new Segment(text, ink, style)]) { }

    public string Text => string.Concat(Segments.Select(s => s.Text));
}
