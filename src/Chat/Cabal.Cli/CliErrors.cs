// Every failure a command can meet, as one line with its cause, a documented exit code (ExitCodes)
// and a short kind that scripts can branch on (`--json` prints {"error":kind,"code":N,"message":…}).
using System.Net.Sockets;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Multifeed.Storage;
using Cabal.Net.Transport;
using LightningDB;

namespace Cabal.Cli;

/// <summary>A failure the program found itself, with its exit code and kind (see <see cref="CliErrors"/>).</summary>
public sealed class CliFailure(int code, string kind, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Kind { get; } = kind;
}

/// <summary>A command-line value that parses but makes no sense (reported with exit code 64).</summary>
public sealed class CliUsageException(string message) : Exception(message);

internal static class CliErrors
{
    // errno values (Linux) that LMDB and the file system report.
    private const int EPERM = 1, EEXIST = 17, EACCES = 13, ENOTDIR = 20, EISDIR = 21, ENOSPC = 28, EROFS = 30, EDQUOT = 122;
    // LMDB's own codes for a damaged or foreign file.
    private const int MDB_CORRUPTED = -30796, MDB_PANIC = -30795, MDB_VERSION_MISMATCH = -30794, MDB_INVALID = -30793, MDB_PAGE_NOTFOUND = -30797, MDB_BAD_TXN = -30782, MDB_SHORT_WRITE = -30772;

    /// <summary>The exit code, kind and one-line message for <paramref name="e"/>; null for an exception nothing here knows.</summary>
    public static (int Code, string Kind, string Message)? Classify(Exception e) => e switch
    {
        CliFailure f => (f.Code, f.Kind, f.Message),
        InvalidCabalKeyException => (ExitCodes.BadKey, "bad-key", e.Message),
        CliUsageException => (ExitCodes.Usage, "usage", e.Message),
        InvalidPortException => (ExitCodes.Usage, "port-out-of-range", e.Message),
        ListenFailedException l => (ExitCodes.Unavailable, l.Reason switch
        {
            ListenFailure.PortInUse => "port-in-use",
            ListenFailure.AccessDenied => "bind-refused",
            ListenFailure.AddressNotAvailable => "address-not-available",
            _ => "listen-failed",
        }, l.Message),
        Chat.Node.DhtPortUnavailableException => (ExitCodes.Unavailable, "port-in-use", e.Message),
        // The library reports arguments it cannot use (an empty channel, a nick too long) this way.
        ArgumentException => (ExitCodes.Usage, "usage", FirstLine(e.Message)),
        TimeoutException => (ExitCodes.Timeout, "timeout", e.Message),
        FeedRecoveryRequiredException => (ExitCodes.IoError, "recovery-required", e.Message),
        ConcurrentWriterException => (ExitCodes.Busy, "concurrent-writer", e.Message),
        // Damaged views are rebuilt inside the library; this is a rebuild that failed too.
        Chat.Views.ViewsDamagedException => (ExitCodes.IoError, "corrupt-views", FirstLine(e.Message) + " and could not be rebuilt; delete the views directory (feeds/views/<cabal key>): they are rebuilt from the feeds."),
        StorageCorruptException => (ExitCodes.IoError, "corrupt-store", "The store is corrupt: " + FirstLine(e.Message)),
        LightningException l => Storage(l.StatusCode, $"{l.Message} (LMDB status {l.StatusCode})"),
        Chat.Node.DataDirectoryBusyException => (ExitCodes.Busy, "busy", FirstLine(e.Message)),
        UnauthorizedAccessException => (ExitCodes.CantCreate, "permission-denied", "Permission denied: " + FirstLine(e.Message)),
        // .NET's own words ("Could not find a part of the path '…'", "The file '…' already exists.") say
        // what failed but not what to do: these say both.
        DirectoryNotFoundException d => (ExitCodes.CantCreate, "no-such-directory", $"A directory on the way to {QuotedPath(d.Message)} is missing or is a file: check the path (--data) and try again."),
        IOException io when Errno(io) == EEXIST || io.Message.Contains("already exists", StringComparison.Ordinal)
            => (ExitCodes.CantCreate, "already-exists", $"{QuotedPath(io.Message)} already exists and is in the way: move it aside or choose another path."),
        IOException io when Errno(io) is { } errno && Storage(errno, io.Message) is var s && s.Item2 != "storage" => s,
        IOException io => (ExitCodes.IoError, "storage", FirstLine(io.Message)),
        SocketException s => (ExitCodes.Unavailable, "network", FirstLine(s.Message)),
        _ => null,
    };

    private static (int, string, string) Storage(int status, string message) => status switch
    {
        // LightningDB reports a write the full disk cut short as its own SHORT_WRITE code.
        ENOSPC or EDQUOT or MDB_SHORT_WRITE => (ExitCodes.IoError, "disk-full", "The disk is full: nothing more can be stored (free some space and run again)."),
        EROFS => (ExitCodes.CantCreate, "read-only", "The data directory is on a read-only file system: " + FirstLine(message)),
        EACCES or EPERM => (ExitCodes.CantCreate, "permission-denied", "Permission denied in the data directory: " + FirstLine(message)),
        ENOTDIR or EISDIR => (ExitCodes.CantCreate, "not-a-directory", "A path in the data directory has the wrong type: " + FirstLine(message)),
        MDB_CORRUPTED or MDB_PANIC or MDB_VERSION_MISMATCH or MDB_INVALID or MDB_PAGE_NOTFOUND or MDB_BAD_TXN
            => (ExitCodes.IoError, "corrupt-store", "The store is corrupt or not an LMDB store (" + FirstLine(message) + "); move it aside and re-sync from peers."),
        _ => (ExitCodes.IoError, "storage", FirstLine(message)),
    };

    // .NET puts the errno of an IOException in the low 16 bits of HResult on Unix (when it has one).
    private static int? Errno(IOException e) => (e.HResult & 0xFFFF) is var n and > 0 and < 200 ? n : null;

    /// <summary>
    /// Why the store at <paramref name="storeDir"/> would not open, when LMDB says only "failed to
    /// open" (LightningDB drops the code there): the directory's type and permissions, then the file.
    /// </summary>
    public static CliFailure DiagnoseOpen(string root, string storeDir, Exception e)
    {
        if (File.Exists(storeDir)) return new(ExitCodes.CantCreate, "not-a-directory", $"{storeDir} is a file; the store needs a directory there.");
        try
        {
            var probe = Path.Combine(root, ".write-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception p) when (p is IOException or UnauthorizedAccessException)
        {
            var (code, kind, message) = Classify(p) ?? (ExitCodes.CantCreate, "permission-denied", p.Message);
            return kind is "storage" ? new(ExitCodes.CantCreate, "read-only", $"Cannot write in the data directory {root}: {message}") : new(code, kind, message);
        }
        var data = Path.Combine(storeDir, "data.mdb");
        if (File.Exists(data) && new FileInfo(data).Length > 0)
            return new(ExitCodes.IoError, "corrupt-store", $"The store {data} cannot be opened: it is damaged or not an LMDB file. Move {storeDir} aside and re-sync from peers.");
        return new(ExitCodes.IoError, "storage", $"The store {storeDir} cannot be opened: {FirstLine(e.Message)}");
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].TrimEnd();

    // The path .NET quotes in its I/O messages, else the whole first line.
    private static string QuotedPath(string message) =>
        System.Text.RegularExpressions.Regex.Match(message, "'([^']+)'") is { Success: true } m ? m.Groups[1].Value : FirstLine(message);

    /// <summary>Prints the failure: a line on stderr, and with --json a JSON line on stdout.</summary>
    public static int Report(int code, string kind, string message, bool json)
    {
        CliIo.Err.WriteLine("cabal: " + message);
        if (json) CliIo.Out.WriteLine(CliJson.Line(new ErrorLine(kind, code, message)));
        return code;
    }
}
