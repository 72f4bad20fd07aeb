using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Opened feed store {Path}: {Count} feeds in {Elapsed} ms")]
    public static partial void Opened(ILogger logger, string path, int count, double elapsed);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Skipping feed #{Feed}: its header is unreadable ({Reason}); its records are kept untouched")]
    public static partial void CorruptHeader(ILogger logger, uint feed, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "A write to the feed store failed")]
    public static partial void WriteFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "An append handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 6050, Level = LogLevel.Error, Message = "Feed store {Path}: reads still running after close waited for them; the environment stays mapped rather than crash them")]
    public static partial void ReadsOutlivedClose(ILogger logger, string path);
}
