// `cabal --data DIR new` must mean `cabal new --data DIR`. The root command declares the global
// options for the terminal client and every subcommand declares its own copy (a System.CommandLine
// symbol has one parent), so without this the parser gives --data to the root, runs `new` with its
// own --data unset, and the cabal silently lands in the default data directory.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace Cabal.Cli;

internal static class LeadingOptions
{
    /// <summary>
    /// The command line with the options written before the invoked subcommand moved after its name
    /// (`cabal --data D feeds rm K` and `cabal feeds --data D rm K` become `cabal feeds rm --data D K`),
    /// or <paramref name="args"/> itself when nothing precedes it. An option the subcommand does not
    /// take (`cabal --theme dark new`) then fails as a usage error instead of being dropped.
    /// </summary>
    public static string[] MoveAfterSubcommand(RootCommand root, string[] args) => MoveAfterSubcommand(root, root.Parse(args), args);

    /// <summary>As above, from <paramref name="parse"/>, the root's parse of <paramref name="args"/>: a line in the usual order is parsed once.</summary>
    public static string[] MoveAfterSubcommand(RootCommand root, ParseResult parse, string[] args)
    {
        var invoked = parse.CommandResult;
        if (invoked.Command == root) return args;
        // A positional argument of a parent command (`cabal KEY new`): the line stays as it was and the
        // parser reports what is wrong with it.
        for (var parent = invoked.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
            if (parent.Children.OfType<ArgumentResult>().Any(a => a.Tokens.Count > 0)) return args;
        var tokens = parse.Tokens;
        var last = -1;
        for (var i = 0; i < tokens.Count; i++)
            if (tokens[i].Type == TokenType.Command) last = i;
        if (last < 0) return args;
        var commands = new List<string>();
        var options = new List<string>();
        for (var i = 0; i < last; i++)
        {
            if (tokens[i].Type == TokenType.Command) commands.Add(tokens[i].Value);
            else if (tokens[i].Type is TokenType.Option or TokenType.Argument) options.Add(tokens[i].Value);
            else return args; // a directive or `--`
        }
        if (options.Count == 0) return args;
        return [.. commands, tokens[last].Value, .. options, .. tokens.Skip(last + 1).Select(t => t.Value)];
    }
}
