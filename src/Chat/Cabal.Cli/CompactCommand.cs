using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Node;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

/// <summary>
/// `cabal compact`: gives back the disk that deleted feeds and old pages left in the data directory's
/// LMDB files (the feed store and each cabal's views), with LMDB's compacting copy swapped in
/// atomically (LmdbCompactor). Needs the directory alone: exit 75 while a cabal process holds it.
/// </summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("compact", "Reclaim disk space in the data directory (needs it alone)") { data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            if (CommandServer.HostedNode(null) is not null)
                throw new CliFailure(ExitCodes.Busy, "busy", $"A running cabal process has the data directory {paths.Root} open, and compacting needs it alone: close that process, then compact again.");
            if (!Directory.Exists(paths.Store))
            {
                if (!parse.GetValue(json)) CliIo.Out.WriteLine($"nothing to compact in {paths.Root}");
                return ExitCodes.Ok;
            }
            using var logging = ProgramEnvironment.Logging();
            using var dirLock = DataDirectoryLock.TryAcquire(paths.Root)
                ?? throw new CliFailure(ExitCodes.Busy, "busy", $"A running cabal process{(DataDirectoryLock.HolderPid(paths.Root) is { } pid ? $" (pid {pid})" : "")} has the data directory {paths.Root} open, and compacting needs it alone: close that process, then compact again.");
            // Purges of removed feeds finish first, so their pages are free to leave with the copy.
            await using (var node = await CabalNode.OpenAsync(new NodeOptions { Paths = paths, LoggerFactory = logging, Exclusive = true }, ct))
                await node.Store.WaitForPurgesAsync(ct);
            var logger = logging.CreateLogger(typeof(CompactCommand));
            var dirs = new List<string> { paths.Store };
            dirs.AddRange(ListCommand.ViewDirectories(paths).Order(StringComparer.Ordinal).Select(paths.Views));
            long before = 0, after = 0;
            foreach (var dir in dirs)
            {
                ct.ThrowIfCancellationRequested();
                var (b, a) = LmdbCompactor.Compact(dir, logger);
                before += b;
                after += a;
            }
            if (parse.GetValue(json)) CliIo.Out.WriteLine(CliJson.Line(new CompactedLine(dirs.Count, before, after)));
            else CliIo.Out.WriteLine($"compacted {dirs.Count} LMDB file(s): {before} bytes -> {after} bytes");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
