using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

/// <summary>Log messages of the program itself (its settings), as opposed to the library's.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "{Variable}={Value} {Problem}; ignored")]
    public static partial void LanSettingIgnored(ILogger logger, string variable, string value, string problem);
}
