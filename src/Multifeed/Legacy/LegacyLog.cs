using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Legacy;

// Import/export: event ids 8100–8149. Refusals and skipped feeds are Information, not Warning: every
// one of them is in the report the caller gets and shows (the program prints it), so a warning on
// stderr would say it twice.
internal static partial class LegacyLog
{
    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Not importing {Path}: {Reason}")]
    public static partial void StoreRefused(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Skipping feed {Slot} of {Path}: {Reason}")]
    public static partial void FeedSkipped(ILogger logger, string slot, string path, string reason);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Information, Message = "Imported cabal {Cabal} from {Path}: {Feeds} feeds, {Blocks} new blocks ({Bytes} bytes), {Problems} problem(s), in {Elapsed} ms")]
    public static partial void Imported(ILogger logger, string cabal, string path, int feeds, ulong blocks, ulong bytes, int problems, double elapsed);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Information, Message = "Exported cabal {Cabal} to {Path}: {Feeds} feeds, {Blocks} blocks, {Bytes} bytes written")]
    public static partial void Exported(ILogger logger, string cabal, string path, int feeds, ulong blocks, long bytes);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Information, Message = "Cabal {Cabal}: the local identity {Feed} was not handed over: {Reason}")]
    public static partial void IdentityNotAdopted(ILogger logger, string cabal, string feed, string reason);
}
