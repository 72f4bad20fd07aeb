// Options shared by the subcommands. Each command gets its own instances (a System.CommandLine
// symbol belongs to one parent), created by these factories so names and help stay identical.
using System.CommandLine;
using Cabal.Chat.Node;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

internal static class CommonOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "Data directory (default: $XDG_DATA_HOME/cabal-dotnet or ~/.local/share/cabal-dotnet)",
        Recursive = true,
    };

    /// <summary>--listen PORT, checked while parsing (0–65535, digits only): a bad port is a usage error before anything is created.</summary>
    public static Option<int?> Listen() => new("--listen")
    {
        Description = "Accept peers on this TCP port (0 picks a free port, printed on stderr); default: no listener for one-shot commands, 0 for seed",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (ListenPort.TryParse(text, out var port, out var error)) return port;
            result.AddError($"--listen {text}: {error}.");
            return null;
        },
    };

    public static Option<bool> Join() => new("--join") { Description = "Open the cabal even if this data directory has never seen it (joins it)" };

    public static Option<string[]> Peer() => new("--peer")
    {
        Description = "Connect to HOST:PORT (repeatable)",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    public static Option<string[]> Bootstrap() => new("--bootstrap")
    {
        Description = "HyperDHT bootstrap node HOST:PORT (repeatable; replaces the default list and turns the DHT on even with CABAL_NO_DHT=1)",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    public static Option<bool> NoDht() => new("--no-dht") { Description = "Do not find peers through the HyperDHT (CABAL_NO_DHT=1 does the same)" };

    public static Option<bool> NoLan() => new("--no-lan") { Description = "Do not announce or look for peers on the local network" };

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object per line" };

    public static Option<double> Timeout(double seconds) => new("--timeout")
    {
        Description = $"Give up after this many seconds (default {seconds})",
        DefaultValueFactory = _ => seconds,
    };

    public static Argument<string> Key() => new("key-or-url") { Description = "A cabal key (64 hex digits) or cabal:// URL" };

    /// <summary>
    /// The node's network options from --listen, --peer, --no-lan, --bootstrap and --no-dht (a --peer or
    /// --bootstrap that does not parse is a usage error), with the LAN and DHT settings the environment pins.
    /// </summary>
    public static NetworkOptions Network(int? listenPort, IReadOnlyList<string> peers, bool lan, ILoggerFactory logging,
        IReadOnlyList<string> bootstrap, bool noDht, int? dhtPort = null)
    {
        var addresses = peers.Select(p => PeerAddress.TryParse(p, out var a, out var error) ? a! : throw new CliUsageException($"--peer {p}: {error}")).ToList();
        var dht = ProgramEnvironment.Dht(bootstrap, noDht, dhtPort);
        var network = new NetworkOptions { ListenPort = listenPort, Peers = addresses, Lan = lan, Dht = dht };
        return ProgramEnvironment.WithLanSettings(network, logging.CreateLogger(typeof(ProgramEnvironment)));
    }
}
