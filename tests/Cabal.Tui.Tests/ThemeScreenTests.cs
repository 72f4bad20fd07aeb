using Cabal.Cli.Tui;
using Terminal.Gui.Drawing;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace Cabal.Tui.Tests;

/// <summary>
/// The colours as drawn, resolved against a dark and a light terminal palette (xterm's 16 colours with
/// white-on-black or black-on-white defaults): bars, the status line and your own nick must stay
/// readable on both, whichever theme is chosen.
/// </summary>
public sealed class ThemeScreenTests
{
    public static TheoryData<string, int, int> ThemesAndSizes()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var t in new[] { "dark", "light", "mono" })
            foreach (var (c, r) in new[] { (120, 40), (80, 24), (60, 20) }) data.Add(t, c, r);
        return data;
    }

    [Theory]
    [MemberData(nameof(ThemesAndSizes))]
    public async Task Topic_bar_status_line_and_own_nick_read_on_dark_and_light_terminals(string theme, int cols, int rows)
    {
        await using var ui = await TuiHarness.StartAsync(async (_, core) => await core.PublishTextAsync("default", "hello from me"), cols, rows, Theme.ByName(theme));
        var screen = await ui.WaitForTextAsync("hello from me");
        var lines = screen.Split('\n');
        var own = Array.FindIndex(lines, l => l.Contains("<alice> hello", StringComparison.Ordinal));
        Assert.True(own > 0, screen);
        var parts = new (string What, Attribute Attr)[]
        {
            ("topic bar", ui.AttributeAt(0, 2)),
            ("topic bar fill", ui.AttributeAt(0, cols - 1)),
            ("status line", ui.AttributeAt(rows - 2, 2)),
            ("status line fill", ui.AttributeAt(rows - 2, cols - 1)),
            ("own nick", ui.AttributeAt(own, lines[own].IndexOf("<alice>", StringComparison.Ordinal) + 1)),
            ("input line", ui.AttributeAt(rows - 1, cols - 2)),
        };
        foreach (var (what, attr) in parts)
        {
            // Palette roles only: the terminal's default colours, never a fixed white or black.
            Assert.True(attr.Foreground == Color.None && attr.Background == Color.None, $"{what}: {attr}");
            foreach (var palette in Palette.Both)
                Assert.True(palette.Contrast(attr) >= 4.5, $"{what} on a {palette.Name} terminal: contrast {palette.Contrast(attr):F1} ({attr})");
        }
        Assert.True(parts[0].Attr.Style.HasFlag(TextStyle.Reverse), "bars are reverse video");
        Assert.True(parts[2].Attr.Style.HasFlag(TextStyle.Reverse), "bars are reverse video");
        Assert.True(parts[4].Attr.Style.HasFlag(TextStyle.Bold), "own nick is bold");
    }

    [Theory]
    [InlineData("dark")]
    [InlineData("light")]
    public void Every_accent_colour_keeps_its_contrast_on_its_palette(string name)
    {
        var theme = Theme.ByName(name)!;
        var palette = name == "light" ? Palette.Light : Palette.Dark;
        foreach (var ink in Enum.GetValues<Ink>())
            for (var nick = 0; nick < Math.Max(1, theme.NickColors.Count); nick++)
            {
                var attr = theme.Of(ink, nick);
                Assert.True(palette.Contrast(attr) >= 3, $"{ink} {nick} in {name}: contrast {palette.Contrast(attr):F1}");
            }
    }

    [Theory]
    [InlineData("dark")]
    [InlineData("light")]
    [InlineData("mono")]
    public void A_mention_looks_like_no_nick(string name)
    {
        var theme = Theme.ByName(name)!;
        var mention = theme.Of(Ink.Mention);
        Assert.True(mention.Style.HasFlag(TextStyle.Reverse));
        for (var i = 0; i < 64; i++) Assert.False(theme.Of(Ink.Nick, i).Style.HasFlag(TextStyle.Reverse));
    }

    [Fact]
    public void No_color_chooses_mono_and_mono_has_no_colour()
    {
        Assert.Same(Theme.Mono, Theme.Choose(null, "1", null));
        Assert.Same(Theme.Dark, Theme.Choose(null, "", null));
        Assert.Same(Theme.Light, Theme.Choose(null, null, "0;15"));
        Assert.Same(Theme.Dark, Theme.Choose(null, null, "15;0"));
        Assert.Same(Theme.Light, Theme.Choose("light", "1", null)); // --theme wins over NO_COLOR
        foreach (var ink in Enum.GetValues<Ink>())
        {
            var a = Theme.Mono.Of(ink, 3);
            Assert.True(a.Foreground == Color.None && a.Background == Color.None, $"{ink}: {a}");
        }
    }

    /// <summary>A terminal's palette: default foreground and background, and the 16 ANSI colours (xterm's).</summary>
    private sealed record Palette(string Name, (int R, int G, int B) Fg, (int R, int G, int B) Bg)
    {
        public static Palette Dark { get; } = new("dark", (229, 229, 229), (0, 0, 0));
        public static Palette Light { get; } = new("light", (0, 0, 0), (255, 255, 255));
        public static IReadOnlyList<Palette> Both { get; } = [Dark, Light];

        private static readonly Dictionary<ColorName16, (int, int, int)> Xterm = new()
        {
            [ColorName16.Black] = (0, 0, 0), [ColorName16.Red] = (205, 0, 0), [ColorName16.Green] = (0, 205, 0), [ColorName16.Yellow] = (205, 205, 0),
            [ColorName16.Blue] = (0, 0, 238), [ColorName16.Magenta] = (205, 0, 205), [ColorName16.Cyan] = (0, 205, 205), [ColorName16.Gray] = (229, 229, 229),
            [ColorName16.DarkGray] = (127, 127, 127), [ColorName16.BrightRed] = (255, 0, 0), [ColorName16.BrightGreen] = (0, 255, 0), [ColorName16.BrightYellow] = (255, 255, 0),
            [ColorName16.BrightBlue] = (92, 92, 255), [ColorName16.BrightMagenta] = (255, 0, 255), [ColorName16.BrightCyan] = (0, 255, 255), [ColorName16.White] = (255, 255, 255),
        };

        private (int, int, int) Resolve(Color c, (int, int, int) role)
        {
            if (c == Color.None) return role;
            foreach (var (name, rgb) in Xterm) if (c == new Color(name)) return rgb;
            throw new InvalidOperationException($"not a palette colour: {c}");
        }

        /// <summary>WCAG contrast ratio of the attribute's foreground and background as this terminal shows them.</summary>
        public double Contrast(Attribute a)
        {
            var fg = Resolve(a.Foreground, Fg);
            var bg = Resolve(a.Background, Bg);
            if (a.Style.HasFlag(TextStyle.Reverse)) (fg, bg) = (bg, fg);
            var (l1, l2) = (Luminance(fg), Luminance(bg));
            return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
        }

        private static double Luminance((int R, int G, int B) c)
        {
            static double F(int v) { var x = v / 255.0; return x <= 0.03928 ? x / 12.92 : Math.Pow((x + 0.055) / 1.055, 2.4); }
            return 0.2126 * F(c.R) + 0.7152 * F(c.G) + 0.0722 * F(c.B);
        }
    }
}
