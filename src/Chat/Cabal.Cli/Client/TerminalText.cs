using System.Text;
using Cabal.Chat;

namespace Cabal.Cli.Client;

/// <summary>
/// Makes remote text safe to print on a terminal: control characters and escape sequences
/// (ESC, CSI, OSC…) are replaced, so a message can never move the cursor, retitle the window or
/// hide itself. Everything else, including non-Latin scripts and emoji, is kept. The one sanitiser
/// for every string from the network that reaches a terminal: the commands' text output, the
/// seeding bot's status and the terminal client all print through it.
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

    /// <summary>A user's nick as printed on a terminal (sanitised), or the first 8 hex digits of their key.</summary>
    public static string Nick(CabalCore cabal, string userKey)
        => cabal.GetUser(userKey)?.Name is { Length: > 0 } name ? Sanitize(name) : userKey[..Math.Min(8, userKey.Length)];
}
