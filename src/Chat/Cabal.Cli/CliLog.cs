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
}
