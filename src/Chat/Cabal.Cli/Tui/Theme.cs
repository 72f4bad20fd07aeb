using Terminal.Gui.Drawing;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace Cabal.Cli.Tui;

/// <summary>What a piece of text is, which the <see cref="Theme"/> turns into colours.</summary>
public enum Ink
{
    /// <summary>Ordinary text: the terminal's default foreground on its default background.</summary>
    Normal,
    /// <summary>The topic bar and status line: reverse video of the default colours.</summary>
    Bar,
    /// <summary>Timestamps, notices, offline users.</summary>
    Dim,
    /// <summary>Something to look at: own nick, current channel, online users.</summary>
    Strong,
    /// <summary>A line that mentions you: reverse video, which no nick colour takes.</summary>
    Mention,
    Unread,
    Private,
    Emote,
    Prompt,
    /// <summary>Another user's nick: <see cref="Segment.Nick"/> picks one of the theme's nick colours.</summary>
    Nick,
}

/// <summary>
/// The client's colours, built from the terminal's own palette roles so that the same theme reads on
/// dark and light terminals: text is the default foreground on the default background
/// (<see cref="Color.None"/>), bars are reverse video of those, and emphasis is bold. Only accents
/// (nicks, unread channels) use the 16 ANSI colours, and each theme picks ones that keep their
/// contrast on its background: bright on dark, plain on light, none in mono (NO_COLOR).
/// A mention is reverse video, which no nick colour can look like.
/// </summary>
public sealed record Theme(string Name, IReadOnlyList<ColorName16> NickColors, ColorName16? Dim, ColorName16? Unread, ColorName16? Private, ColorName16? Emote, ColorName16? Prompt)
{
    private static readonly Color Default = Color.None;

    public static Theme Dark { get; } = new("dark",
        [ColorName16.BrightRed, ColorName16.BrightGreen, ColorName16.BrightYellow, ColorName16.BrightBlue, ColorName16.BrightMagenta, ColorName16.BrightCyan, ColorName16.Green, ColorName16.Yellow, ColorName16.Magenta, ColorName16.Cyan],
        ColorName16.DarkGray, ColorName16.BrightGreen, ColorName16.Cyan, ColorName16.Magenta, ColorName16.BrightCyan);

    // Only colours that keep 3:1 contrast on white in xterm's palette: no yellow, green or cyan.
    public static Theme Light { get; } = new("light",
        [ColorName16.Red, ColorName16.Blue, ColorName16.Magenta, ColorName16.BrightRed, ColorName16.BrightBlue, ColorName16.BrightMagenta],
        ColorName16.DarkGray, ColorName16.Blue, ColorName16.Magenta, ColorName16.Magenta, ColorName16.Blue);

    /// <summary>No colour at all (https://no-color.org): bold, reverse and underline only.</summary>
    public static Theme Mono { get; } = new("mono", [], null, null, null, null, null);

    public static IReadOnlyList<string> Names => ThemeNames.All;

    /// <summary>
    /// The theme to use: --theme if given; else mono when NO_COLOR is set (any non-empty value);
    /// else light when COLORFGBG says the background is light; else dark.
    /// </summary>
    public static Theme Choose(string? option, string? noColor, string? colorFgBg)
    {
        if (option is { Length: > 0 }) return ByName(option) ?? throw new ArgumentException($"unknown theme {option}", nameof(option));
        if (!string.IsNullOrEmpty(noColor)) return Mono;
        // COLORFGBG is "fg;bg" (rxvt, konsole…): a background of 7 or 9–15 is a light one.
        if (colorFgBg?.Split(';') is { Length: >= 2 } parts && int.TryParse(parts[^1], out var bg) && bg is 7 or (>= 9 and <= 15)) return Light;
        return Dark;
    }

    public static Theme? ByName(string name) => name.ToLowerInvariant() switch { "dark" => Dark, "light" => Light, "mono" => Mono, _ => null };

    /// <summary>The terminal's default colours: what every pane and the input line are drawn with.</summary>
    public Attribute Normal => new(Default, Default);

    /// <summary>
    /// The window's and the input line's scheme: every role in the terminal's default colours.
    /// Terminal.Gui would otherwise derive the focused or editable roles from the normal one, and
    /// from "no colour" it derives a fixed grey.
    /// </summary>
    public Scheme Scheme() => new(Normal)
    {
        Normal = Normal, Focus = Normal, Editable = Normal, Active = Normal, ReadOnly = Normal, Highlight = Normal,
        HotNormal = Normal, HotFocus = Normal, HotActive = Normal, Disabled = Of(Ink.Dim),
    };

    /// <summary>The colours of <paramref name="ink"/>, plus <paramref name="style"/>.</summary>
    public Attribute Of(Ink ink, int nick = 0, TextStyle style = TextStyle.None) => ink switch
    {
        Ink.Normal => Attr(null, style),
        Ink.Bar => Attr(null, style | TextStyle.Reverse),
        Ink.Dim => Dim is null ? Attr(null, style | TextStyle.Faint) : Attr(Dim, style),
        Ink.Strong => Attr(null, style | TextStyle.Bold),
        Ink.Mention => Attr(null, style | TextStyle.Reverse | TextStyle.Bold),
        Ink.Unread => Attr(Unread, style | TextStyle.Bold),
        Ink.Private => Attr(Private, style),
        Ink.Emote => Attr(Emote, style | (Emote is null ? TextStyle.Italic : TextStyle.None)),
        Ink.Prompt => Attr(Prompt, style | TextStyle.Bold),
        Ink.Nick => NickColors.Count == 0 ? Attr(null, style | TextStyle.Bold) : Attr(NickColors[Math.Abs(nick) % NickColors.Count], style | TextStyle.Bold),
        _ => Attr(null, style),
    };

    private static Attribute Attr(ColorName16? fg, TextStyle style) => new(fg is { } c ? new Color(c) : Default, Default, style);

    /// <summary>A stable nick colour index for a user key: the same user looks the same everywhere.</summary>
    public static int NickIndex(string key) => key.Sum(c => Uri.IsHexDigit(c) ? Convert.ToInt32(c.ToString(), 16) : c);
}

/// <summary>
/// The theme names, apart from <see cref="Theme"/>: every command line builds the --theme option, and
/// touching Theme would run its static initialisers, which load and initialise Terminal.Gui
/// (hundreds of milliseconds of start-up for commands that never draw a screen).
/// </summary>
public static class ThemeNames
{
    public static IReadOnlyList<string> All { get; } = ["dark", "light", "mono"];
}
