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
    /// The command line with the options written before the subcommand moved after its name, or
    /// <paramref name="args"/> itself when nothing precedes the subcommand. An option the subcommand
    /// does not take (`cabal --theme dark new`) then fails as a usage error instead of being dropped.
    /// </summary>
    public static string[] MoveAfterSubcommand(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        // No subcommand, or a positional argument before it (`cabal KEY new`): the line stays as it
        // was and the parser reports what is wrong with it.
        if (parse.CommandResult.Command == root) return args;
        if (parse.RootCommandResult.Children.OfType<ArgumentResult>().Any(a => a.Tokens.Count > 0)) return args;
        var tokens = parse.Tokens;
        var at = 0;
        while (at < tokens.Count && tokens[at].Type is TokenType.Option or TokenType.Argument) at++;
        if (at == 0 || at == tokens.Count || tokens[at].Type != TokenType.Command) return args;
        var moved = new string[tokens.Count];
        moved[0] = tokens[at].Value;
        for (var i = 0; i < at; i++) moved[i + 1] = tokens[i].Value;
        for (var i = at + 1; i < tokens.Count; i++) moved[i] = tokens[i].Value;
        return moved;
    }
}
