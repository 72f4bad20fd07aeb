// Options shared by the subcommands. Each command gets its own instances (a System.CommandLine
// symbol belongs to one parent), created by these factories so names and help stay identical.
using System.CommandLine;

namespace Cabal.Chat.Cli;

internal static class CommonOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "Data directory (default: $XDG_DATA_HOME/cabal-dotnet or ~/.local/share/cabal-dotnet)",
        Recursive = true,
    };

    public static Option<int?> Listen() => new("--listen")
    {
        Description = "Accept peers on this TCP port (0 picks a free port, printed on stderr); default: no listener for one-shot commands, 0 for seed",
    };

    public static Option<string[]> Peer() => new("--peer")
    {
        Description = "Connect to HOST:PORT (repeatable)",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    public static Option<bool> NoLan() => new("--no-lan") { Description = "Do not announce or look for peers on the local network" };

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object per line" };

    public static Option<double> Timeout(double seconds) => new("--timeout")
    {
        Description = $"Give up after this many seconds (default {seconds})",
        DefaultValueFactory = _ => seconds,
    };

    public static Argument<string> Key() => new("key-or-url") { Description = "A cabal key (64 hex digits) or cabal:// URL" };
}

/// <summary>The network options of one invocation, as parsed.</summary>
public sealed record NetworkSettings(int? ListenPort, IReadOnlyList<string> Peers, bool Lan);
