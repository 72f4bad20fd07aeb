using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

/// <summary>Log messages of the program itself (its settings), as opposed to the library's.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "{Variable}={Value} {Problem}; ignored")]
    public static partial void LanSettingIgnored(ILogger logger, string variable, string value, string problem);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "No command socket at {Path} ({Reason}): other cabal processes on this data directory are refused while this one runs")]
    public static partial void NoCommandSocket(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "Running a '{Command}' command forwarded by another cabal process")]
    public static partial void ForwardedCommand(ILogger logger, string command);

    // 9050–9059: `cabal dht-node`.
    [LoggerMessage(EventId = 9050, Level = LogLevel.Information, Message = "DHT node on {Address} bootstrapped: {Nodes} nodes known, persistent {Persistent}, firewalled {Firewalled}")]
    public static partial void DhtNodeBootstrapped(ILogger logger, string address, int nodes, bool persistent, bool firewalled);

    [LoggerMessage(EventId = 9051, Level = LogLevel.Warning, Message = "No bootstrap node answered ({Bootstrap}): the DHT node knows no other node yet and keeps trying")]
    public static partial void DhtNodeAlone(ILogger logger, string bootstrap);
}
