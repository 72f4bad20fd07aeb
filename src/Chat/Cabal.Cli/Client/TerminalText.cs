using System.Text;

namespace Cabal.Cli.Client;

/// <summary>
/// Makes remote text safe to print on a terminal: control characters and escape sequences
/// (ESC, CSI, OSC…) are replaced, so a message can never move the cursor, retitle the window or
/// hide itself. Everything else, including non-Latin scripts and emoji, is kept.
/// </summary>
public static class TerminalText
{
    public static string Sanitize(string? text, bool keepNewlines = false)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var bad = char.IsControl(c) && !(keepNewlines && c == '\n') || c is '\u2028' or '\u2029' or '\u202e' or '\u202d' or '\u2066' or '\u2067' or '\u2068' or '\u2069';
            if (!bad) { sb?.Append(c); continue; }
            sb ??= new StringBuilder(text, 0, i, text.Length);
            sb.Append(c == '\t' ? ' ' : '\uFFFD');
        }
        return sb?.ToString() ?? text;
    }
}
