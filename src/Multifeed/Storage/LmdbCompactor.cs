// Reclaims the disk an LMDB environment no longer uses. LMDB never shrinks its file: pages freed by
// deleted feeds are reused, not returned. The only way back is LMDB's compacting copy
// (mdb_env_copy2 with MDB_CP_COMPACT), which writes the live pages alone into a new file; that file
// is then swapped in:
//   1. copy into <dir>/.compact/data.mdb (a leftover .compact from a killed run is deleted first);
//   2. fsync the copy;
//   3. rename it over <dir>/data.mdb (atomic: a reader of the path sees the old file or the new one,
//      never a mix; the old file goes only at this instant, once the new one is complete on disk);
//   4. fsync the directory, so the rename itself survives a power cut; remove .compact.
// A SIGKILL before 3 leaves the old file untouched (and a .compact the next run clears); after 3 the
// new one, complete. The environment must not be open anywhere while this runs: the program holds
// the data directory's lock (exit 75 otherwise).
using System.Runtime.InteropServices;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Cabal.Multifeed.Storage;

public static partial class LmdbCompactor
{
    private const string DataFile = "data.mdb";
    private const string WorkDirectory = ".compact";

    /// <summary>
    /// Compacts the LMDB environment in <paramref name="directory"/> in place; returns the data file's
    /// size before and after. A directory without a data file is left alone (0, 0).
    /// </summary>
    public static (long Before, long After) Compact(string directory, ILogger? logger = null, long mapSize = 64L << 30)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var data = Path.Combine(directory, DataFile);
        if (!File.Exists(data)) return (0, 0);
        var before = new FileInfo(data).Length;
        var work = Path.Combine(directory, WorkDirectory);
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);

        LmdbNative.EnsureResolver();
        using (var env = new LightningEnvironment(directory, new EnvironmentConfiguration { MapSize = mapSize, MaxDatabases = 32, MaxReaders = 16 }))
        {
            env.Open(EnvironmentOpenFlags.NoThreadLocalStorage);
            env.CopyTo(work, compact: true).ThrowOnError();
        }
        var copy = Path.Combine(work, DataFile);
        using (var f = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) f.Flush(flushToDisk: true);
        File.Move(copy, data, overwrite: true);
        SyncDirectory(directory);
        Directory.Delete(work, recursive: true);
        var after = new FileInfo(data).Length;
        if (logger is not null) StorageLog.Compacted(logger, directory, before, after);
        return (before, after);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    // A rename is durable once its directory is: fsync on the directory's descriptor (POSIX only).
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        const int ORdOnly = 0;
        var fd = Open(directory, ORdOnly);
        if (fd < 0) throw new IOException($"Cannot open {directory} to flush its rename (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (FSync(fd) != 0) throw new IOException($"Flushing {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally { Close(fd); }
    }
}
