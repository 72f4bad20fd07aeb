using System.Text.RegularExpressions;

namespace Cabal.Cli.Client;

/// <summary>
/// cabal-cli's Tab completion, free of UI: "/pre" → command; "/join pre" (and /j, /leave, /l, and
/// our addition /archive, /unarchive) → channel; otherwise the word before the cursor → nick (case-insensitive prefix, nicks with spaces
/// excluded, ": " appended when it is the only word). Repeated Tab cycles through the candidates.
/// </summary>
public sealed partial class TabCompleter
{
    private Cycle? _cycle;

    private sealed record Cycle(string Before, string After, IReadOnlyList<string> Candidates, string Suffix, int Index, string Produced);

    [GeneratedRegex(@"^(/\s*(?:join|j|leave|l|part|archive|unarchive|restore)\s+#?)(\S*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelCommand();

    /// <summary>Forgets the cycle (any key other than Tab does this).</summary>
    public void Reset() => _cycle = null;

    /// <summary>The completed line and cursor, or null if nothing matches.</summary>
    public (string Text, int Cursor)? Complete(string text, int cursor, IReadOnlyList<string> channels, IReadOnlyList<string> nicks)
    {
        cursor = Math.Clamp(cursor, 0, text.Length);
        if (_cycle is { } c && c.Produced == text && c.Candidates.Count > 1)
            return Apply(c with { Index = (c.Index + 1) % c.Candidates.Count });
        _cycle = null;

        var before = text[..cursor];
        var after = text[cursor..];
        if (ChannelCommand().Match(before) is { Success: true } m)
            return Start(m.Groups[1].Value, after, m.Groups[2].Value, channels, " ", StringComparison.Ordinal);
        if (before.StartsWith('/') && !before.Contains(' '))
            return Start("/", after, before[1..], CommandCatalog.Words.Distinct().ToList(), " ", StringComparison.Ordinal);

        var start = before.LastIndexOfAny([' ', '\t']) + 1;
        var fragment = before[start..];
        if (fragment.Length == 0) return null;
        var onlyWord = start == 0 && after.Trim().Length == 0;
        var names = nicks.Where(n => n.Length > 0 && !n.Contains(' ')).Distinct(StringComparer.Ordinal).ToList();
        return Start(before[..start], after, fragment, names, onlyWord ? ": " : " ", StringComparison.OrdinalIgnoreCase);
    }

    private (string, int)? Start(string before, string after, string fragment, IReadOnlyList<string> pool, string suffix, StringComparison cmp)
    {
        var candidates = pool.Where(p => p.StartsWith(fragment, cmp)).Order(StringComparer.OrdinalIgnoreCase).ToList();
        if (candidates.Count == 0) return null;
        return Apply(new Cycle(before, after, candidates, suffix, 0, ""));
    }

    private (string, int) Apply(Cycle c)
    {
        var head = c.Before + c.Candidates[c.Index] + c.Suffix;
        var text = head + c.After.TrimStart();
        _cycle = c with { Produced = text };
        return (text, head.Length);
    }
}
