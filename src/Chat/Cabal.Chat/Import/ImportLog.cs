using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Import;

/// <summary>Log messages of the chat layer's import (ids 8150–8199; the feed-level ones are LegacyLog's).</summary>
internal static partial class ImportLog
{
    [LoggerMessage(EventId = 8150, Level = LogLevel.Information, Message = "Imported cabal {Cabal}: views built ({Entries} entries indexed), local user {User}, private messages readable: {Readable}")]
    public static partial void ViewsBuilt(ILogger logger, string cabal, long entries, string user, bool readable);
}
