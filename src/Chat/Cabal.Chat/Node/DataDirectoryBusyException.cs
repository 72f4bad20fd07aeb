// One data directory, one writer of record: an import stores feeds straight into the FeedStore, and a
// node that has the same store open keeps its own picture of those feeds (lengths, bitfields, the
// indexer's position) that the import would change behind its back. So every node flocks
// DataPaths.NodeLockFile: shared for ordinary nodes (the terminal client, seed and one-shot commands
// coexist as before), exclusive for an import. .NET takes flock(LOCK_SH) for a read-only FileStream
// that shares, flock(LOCK_EX) for FileShare.None, both non-blocking; the kernel drops either when the
// process dies, so a crash leaves nothing to clean up.
namespace Cabal.Chat.Node;

/// <summary>The data directory is held by a node that cannot share it with this one.</summary>
public sealed class DataDirectoryBusyException(string message, Exception? inner = null) : IOException(message, inner)
{
    internal static FileStream Lock(DataPaths paths, bool exclusive)
    {
        try
        {
            return exclusive
                ? new FileStream(paths.NodeLockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(paths.NodeLockFile, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(paths.NodeLockFile))
        {
            throw new DataDirectoryBusyException(exclusive
                ? $"another cabal process (the client, seed or a command) has the data directory {paths.Root} open; importing under it would change its open cabals behind its back, so stop it and try again"
                : $"an import is writing to the data directory {paths.Root}; try again when it has finished", e);
        }
    }
}
