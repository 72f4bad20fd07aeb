// Everything the program takes from its environment, read in one place (the library reads none):
//   XDG_DATA_HOME        where the default data directory lives: $XDG_DATA_HOME/cabal-dotnet, else
//                        ~/.local/share/cabal-dotnet (--data DIR overrides both)
//   CABAL_LOG            log level on stderr: Trace, Debug, Information, Warning (default), Error…
//   CABAL_LAN_INTERFACE  the IPv4 interface LAN discovery joins and sends on (a loopback address
//                        keeps discovery on this host)
//   CABAL_LAN_PORT       the UDP port of the LAN discovery group
//   CABAL_BOOTSTRAP      HyperDHT bootstrap nodes, HOST:PORT,… (replaces cabal-core's default list)
//   CABAL_NO_DHT         1: no HyperDHT (--bootstrap on the command line turns it back on)
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cabal.Chat.Node;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

internal static class ProgramEnvironment
{
    public const string AppName = "cabal-dotnet";

    /// <summary>The data directory: --data DIR if given, else the XDG default.</summary>
    public static DataPaths DataPaths(string? dataOption)
    {
        if (!string.IsNullOrEmpty(dataOption)) return new DataPaths(dataOption);
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return new DataPaths(Path.Combine(baseDir, AppName));
    }

    /// <summary>Whether CABAL_LOG asks for logging explicitly.</summary>
    public static bool LogLevelSet => Environment.GetEnvironmentVariable("CABAL_LOG") is not null;

    /// <summary>
    /// The program's logging: one line per message on stderr (stdout carries the program's output:
    /// URLs, messages, JSON events), at CABAL_LOG's level or Warning; nothing for a command forwarded
    /// to this process. The caller disposes it after the node, which flushes the console logger's queue.
    /// </summary>
    public static ILoggerFactory Logging()
    {
        // A command forwarded by another process runs on this process's node, which logs already;
        // its own lines would land on this process's stderr (under a full-screen client, on the screen).
        if (CommandServer.HostedNode(null) is not null) return new Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory();
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("CABAL_LOG"), true, out var l) ? l : LogLevel.Warning;
        return StderrLogging(Console.Error, level);
    }

    /// <summary>
    /// A logger factory writing at <paramref name="level"/> and above to <paramref name="writer"/>
    /// (StderrLoggerProvider). Built without LoggerFactory.Create's dependency-injection container, which
    /// cost every process milliseconds at start; disposing it writes out what is queued.
    /// </summary>
    internal static ILoggerFactory StderrLogging(TextWriter writer, LogLevel level, TimeProvider? time = null)
    {
        var factory = new LoggerFactory([], new LoggerFilterOptions { MinLevel = level });
        factory.AddProvider(new StderrLoggerProvider(writer, time)); // added, not passed in: the factory then disposes (flushes) it
        return factory;
    }

    /// <summary>
    /// <paramref name="network"/> with the LAN settings the environment pins (CABAL_LAN_INTERFACE,
    /// CABAL_LAN_PORT). A value that does not parse is logged and ignored.
    /// </summary>
    public static NetworkOptions WithLanSettings(NetworkOptions network, ILogger logger)
    {
        if (Environment.GetEnvironmentVariable("CABAL_LAN_INTERFACE") is { Length: > 0 } iface)
        {
            if (IPAddress.TryParse(iface, out var address) && address.AddressFamily == AddressFamily.InterNetwork)
                network = network with { LanInterface = address };
            else
                CliLog.LanSettingIgnored(logger, "CABAL_LAN_INTERFACE", iface, "is not an IPv4 address");
        }
        if (Environment.GetEnvironmentVariable("CABAL_LAN_PORT") is { Length: > 0 } portText)
        {
            if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
                network = network with { LanPort = port };
            else
                CliLog.LanSettingIgnored(logger, "CABAL_LAN_PORT", portText, "is not a UDP port");
        }
        return network;
    }

    /// <summary>
    /// The DHT settings from --bootstrap/--no-dht and CABAL_BOOTSTRAP/CABAL_NO_DHT; the command line wins
    /// over the environment. A bootstrap entry that does not parse (either place) is a usage error: going
    /// to the default public list instead of the one meant would be worse than stopping.
    /// </summary>
    public static DhtSettings Dht(IReadOnlyList<string> bootstrapOption, bool noDht, int? port)
    {
        var fromCommandLine = Bootstrap(bootstrapOption, "--bootstrap");
        if (noDht && fromCommandLine.Count > 0) throw new CliUsageException("--no-dht and --bootstrap contradict each other: give one.");
        if (noDht) return DhtSettings.Off;
        // Checked even when unused (--bootstrap given, or CABAL_NO_DHT=1): a typo there is caught at once.
        var fromEnvironment = Bootstrap(
            (Environment.GetEnvironmentVariable("CABAL_BOOTSTRAP") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            "CABAL_BOOTSTRAP");
        if (fromCommandLine.Count > 0) return new DhtSettings { Bootstrap = fromCommandLine, Port = port };
        if (Environment.GetEnvironmentVariable("CABAL_NO_DHT") is { Length: > 0 } off && off is not ("0" or "false" or "no")) return DhtSettings.Off;
        return fromEnvironment.Count > 0 ? new DhtSettings { Bootstrap = fromEnvironment, Port = port } : new DhtSettings { Port = port };
    }

    private static List<string> Bootstrap(IEnumerable<string> entries, string where)
    {
        var list = new List<string>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            try { _ = Cabal.Net.Dht.BootstrapNode.Parse(entry); }
            catch (FormatException e) { throw new CliUsageException($"{where} {entry}: {e.Message} Expected HOST:PORT."); }
            if (!list.Contains(entry)) list.Add(entry);
        }
        return list;
    }
}
