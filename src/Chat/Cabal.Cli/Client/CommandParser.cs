using System.Text.RegularExpressions;

namespace Cabal.Cli.Client;

public enum InputKind { Empty, Text, Command, UnknownCommand }

/// <summary>A parsed input line: plain text to send, a known command with its argument, or an unknown command word.</summary>
public sealed record ParsedInput(InputKind Kind, string Text, CommandInfo? Command = null, string Argument = "", string Word = "")
{
    /// <summary>The argument split on whitespace.</summary>
    public IReadOnlyList<string> Words => Argument.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The argument after its first word (e.g. the text of /pm nick text), or "".</summary>
    public string Rest
    {
        get
        {
            var a = Argument.TrimStart();
            var i = a.IndexOfAny([' ', '\t']);
            return i < 0 ? "" : a[(i + 1)..].TrimStart();
        }
    }
}

/// <summary>
/// cabal-cli's input grammar, free of UI: "/" + optional spaces + word characters + optional
/// (whitespace + argument) is a command; anything else (including "/" and "//x") is text.
/// </summary>
public static partial class CommandParser
{
    [GeneratedRegex(@"^/\s*(\w+)(?:\s+(.*))?$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CommandRegex();

    public static ParsedInput Parse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return new ParsedInput(InputKind.Empty, "");
        var m = CommandRegex().Match(line);
        if (!m.Success) return new ParsedInput(InputKind.Text, line);
        var word = m.Groups[1].Value;
        var arg = m.Groups[2].Success ? m.Groups[2].Value.Trim() : "";
        return CommandCatalog.Find(word) is { } c
            ? new ParsedInput(InputKind.Command, line, c, arg, word)
            : new ParsedInput(InputKind.UnknownCommand, line, null, arg, word);
    }

    /// <summary>A channel argument as cabal-cli takes it: leading '#' stripped, empty → <paramref name="fallback"/>.</summary>
    public static string ChannelArgument(string argument, string fallback)
    {
        var c = argument.Trim().TrimStart('#').Trim();
        var space = c.IndexOfAny([' ', '\t']);
        if (space >= 0) c = c[..space];
        return c.Length == 0 ? fallback : c;
    }

    /// <summary>Splits "target rest of the line" into the target word and the reason/text that follows.</summary>
    public static (string Target, string Tail) TargetAndRest(string argument)
    {
        var a = argument.Trim();
        var i = a.IndexOfAny([' ', '\t']);
        return i < 0 ? (a, "") : (a[..i], a[(i + 1)..].Trim());
    }
}
