namespace Cabal.Cli.Client;

/// <summary>Word wrapping with a hanging indent, measured in terminal columns (wide characters count as two).</summary>
public static class LineWrapper
{
    /// <summary>
    /// Splits <paramref name="text"/> into rows of at most <paramref name="width"/> columns; rows after
    /// the first start with <paramref name="indent"/> spaces. Breaks at spaces when it can; a word too long
    /// for an indented row but not for the width gets an unindented row; longer words break mid-word.
    /// A link (<see cref="IsLink"/>) is never broken when it fits <paramref name="linkWidth"/> (the
    /// terminal's width, which a pane between side panes may be narrower than): it gets an unindented row
    /// of its own, which may be wider than <paramref name="width"/>; a longer one is cut into unindented
    /// rows of <paramref name="linkWidth"/>, so that a terminal selection of those rows holds nothing else.
    /// </summary>
    public static IReadOnlyList<string> Wrap(string text, int width, int indent, int linkWidth = 0) =>
        WrapRows(text, width, indent, linkWidth).Select(r => r.Text).ToList();

    /// <summary>
    /// <see cref="Wrap"/>, saying of each row whether it is (part of) a link that did not fit
    /// <paramref name="width"/>: such rows are meant to be drawn from the terminal's left edge.
    /// </summary>
    public static IReadOnlyList<WrappedRow> WrapRows(string text, int width, int indent, int linkWidth = 0)
    {
        if (width <= 0) return [new(text, false)];
        linkWidth = Math.Max(width, linkWidth);
        indent = Math.Clamp(indent, 0, Math.Max(0, width / 2));
        var rows = new List<WrappedRow>();
        var pad = new string(' ', indent);
        var rest = text;
        var first = true;
        while (true)
        {
            var avail = first ? width : width - indent;
            var fit = FitChars(rest, avail);
            if (fit >= rest.Length) { rows.Add(new((first ? "" : pad) + rest, false)); break; }
            // Break at the last space that fits (a space right after the fitting part counts too).
            var cut = rest[fit] == ' ' ? fit : rest.LastIndexOf(' ', Math.Max(0, fit - 1), fit);
            if (cut <= 0)
            {
                // A word longer than an indented row: a URL or key that fits the full width gets a row
                // of its own, unindented, so it is never split and copies whole.
                var space = rest.IndexOf(' ');
                var word = space > 0 ? rest[..space] : rest;
                var link = IsLink(word);
                if ((!first && Columns(word) <= width) || (link && Columns(word) <= linkWidth))
                {
                    rows.Add(new(word, Columns(word) > width));
                    rest = rest[word.Length..].TrimStart(' ');
                    first = false;
                    if (rest.Length == 0) break;
                    continue;
                }
                if (link)
                {
                    // Longer than the terminal: no choice but to cut it, into rows that hold only the link.
                    while (Columns(word) > linkWidth)
                    {
                        var n = Math.Max(1, FitChars(word, linkWidth));
                        rows.Add(new(word[..n], true));
                        word = word[n..];
                    }
                    rows.Add(new(word, true));
                    rest = rest[(space > 0 ? space : rest.Length)..].TrimStart(' ');
                    first = false;
                    if (rest.Length == 0) break;
                    continue;
                }
                cut = Math.Max(1, fit);
            }
            rows.Add(new((first ? "" : pad) + rest[..cut].TrimEnd(), false));
            rest = rest[cut..].TrimStart(' ');
            first = false;
            if (rest.Length == 0) break;
        }
        return rows;
    }

    /// <summary>
    /// A word people copy whole: a URL ("scheme://…") or a key (at least 32 hex digits, optionally
    /// followed by "@" and a sequence number, as /read takes them).
    /// </summary>
    public static bool IsLink(string word)
    {
        var scheme = word.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && word.Length > scheme + 3) return true;
        var at = word.IndexOf('@');
        var hex = at < 0 ? word : word[..at];
        return hex.Length >= 32 && hex.All(char.IsAsciiHexDigit);
    }

    /// <summary>Columns a string occupies.</summary>
    public static int Columns(string s)
    {
        var n = 0;
        foreach (var r in s.EnumerateRunes()) n += RuneWidth(r);
        return n;
    }

    // How many chars of s fit into `columns` terminal columns (never splitting a surrogate pair).
    private static int FitChars(string s, int columns)
    {
        var used = 0;
        var i = 0;
        while (i < s.Length)
        {
            var r = System.Text.Rune.GetRuneAt(s, i);
            var w = RuneWidth(r);
            if (used + w > columns) break;
            used += w;
            i += r.Utf16SequenceLength;
        }
        return i;
    }

    private static int RuneWidth(System.Text.Rune r)
    {
        var v = r.Value;
        if (v < 0x1100) return 1;
        // East Asian wide ranges and emoji: good enough for layout (Terminal.Gui measures exactly when drawing).
        return v is <= 0x115F or (>= 0x2E80 and <= 0xA4CF) or (>= 0xAC00 and <= 0xD7A3) or (>= 0xF900 and <= 0xFAFF)
            or (>= 0xFE30 and <= 0xFE4F) or (>= 0xFF00 and <= 0xFF60) or (>= 0xFFE0 and <= 0xFFE6)
            or (>= 0x1F300 and <= 0x1FAFF) or (>= 0x20000 and <= 0x3FFFD) ? 2 : 1;
    }
}

/// <summary>A wrapped row; <paramref name="Wide"/>: it holds (part of) a link wider than the wrapping width.</summary>
public readonly record struct WrappedRow(string Text, bool Wide);

/// <summary>Cutting and padding to a column count.</summary>
public static class TextFit
{
    /// <summary>The longest prefix of <paramref name="s"/> that fits in <paramref name="columns"/>, padded with spaces to exactly that width.</summary>
    public static string Exactly(string s, int columns)
    {
        if (columns <= 0) return "";
        var sb = new System.Text.StringBuilder();
        var used = 0;
        foreach (var r in s.EnumerateRunes())
        {
            var w = LineWrapper.Columns(r.ToString());
            if (used + w > columns) break;
            sb.Append(r.ToString());
            used += w;
        }
        return sb.Append(' ', columns - used).ToString();
    }
}
