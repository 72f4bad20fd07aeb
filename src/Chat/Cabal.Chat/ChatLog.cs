using Microsoft.Extensions.Logging;

namespace Cabal.Chat;

/// <summary>Log messages of <see cref="CabalCore"/>: opening a cabal, its identity and its views.</summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Opened cabal {Cabal}: {Feeds} feeds, local user {User}, views at {Path}")]
    public static partial void Opened(ILogger logger, string cabal, int feeds, string user, string path);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "The secret key of local feed {Feed} is unknown (not in the views directory nor in the options): private messages cannot be decrypted")]
    public static partial void NoSecretKey(ILogger logger, string feed);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "The views at {Path} had an older layout and were wiped; everything is re-indexed")]
    public static partial void ViewsReset(ILogger logger, string path);
}
