namespace Cabal.Cli.Client;

/// <summary>
/// cabal-client's "--option value" arguments (--channel, --reason, --ch): everything before the first
/// "--" is the plain part; each option's value runs to the next option. Order does not matter.
/// </summary>
public sealed record CommandOptions(string Plain, IReadOnlyDictionary<string, string> Options)
{
    public static CommandOptions Parse(string argument)
    {
        var a = argument.Trim();
        var first = OptionStart(a, 0);
        if (first < 0) return new CommandOptions(a, new Dictionary<string, string>());
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = first; i >= 0;)
        {
            var next = OptionStart(a, i + 2);
            var part = (next < 0 ? a[(i + 2)..] : a[(i + 2)..next]).Trim();
            var space = part.IndexOfAny([' ', '\t']);
            var (name, value) = space < 0 ? (part, "") : (part[..space], part[(space + 1)..].Trim());
            if (name.Length > 0) options[name] = value;
            i = next;
        }
        return new CommandOptions(a[..first].Trim(), options);
    }

    // An option starts with "--" at the start of the argument or after whitespace.
    private static int OptionStart(string s, int from)
    {
        for (var i = s.IndexOf("--", from, StringComparison.Ordinal); i >= 0; i = s.IndexOf("--", i + 1, StringComparison.Ordinal))
            if (i == 0 || char.IsWhiteSpace(s[i - 1])) return i;
        return -1;
    }

    /// <summary>The option's value if given and non-empty, else null.</summary>
    public string? Get(string name) => Options.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
}
