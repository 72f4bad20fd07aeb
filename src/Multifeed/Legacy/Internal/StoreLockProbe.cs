// Is a JS process still using this cabal directory? Importing from a store that is being written
// could take a torn append, so the importer refuses such a store. What the JS stack actually does
// (read from the installed packages, and checked by running cabal-peer.js --storage: /proc/locks stays
// empty while it runs):
//  * multifeed 6, given a directory path (what cabal-core 16 and cabal-client 8 pass), opens every
//    file with plain random-access-file and no `lock` option: the feeds themselves are NOT locked.
//    Only hypercore's default storage (hypercore(dir), not used by cabal) locks `bitfield` with fsctl,
//    which is flock(LOCK_EX | LOCK_NB) on Linux and macOS.
//  * cabal-client 8 (cabal-cli) opens `<archives>/<key>/views` with `level` 6 (LevelDB), which holds
//    an fcntl write lock on `views/LOCK` for as long as the client runs. That is the reliable signal
//    for cabal-cli, and it is what we test first (F_GETLK: we never take the lock ourselves).
//  * cabal-core used directly (cabal-peer.js, other apps) leaves no lock at all. The only sign is its
//    open file descriptors, so on Linux we also look through /proc/*/fd for files under the directory
//    (processes of other users are invisible without privileges: a best effort, said so in the reason).
// Plus a flock probe on the first feed's `bitfield` in case a plain hypercore holds the store (a
// process with the store open has every feed open, so one feed answers for all).
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Cabal.Multifeed.Legacy.Internal;

internal static partial class StoreLockProbe
{
    /// <summary>Why the store at <paramref name="cabalDirectory"/> looks open elsewhere, or null if nothing does.</summary>
    public static string? FindHolder(string cabalDirectory, IEnumerable<string> feedDirectories)
    {
        var views = Path.Combine(cabalDirectory, "views", "LOCK");
        if (OperatingSystem.IsLinux() && File.Exists(views) && PosixLockHolder(views) is { } pid)
            return $"cabal-cli (or another cabal-client) still has it open: views/LOCK is locked by process {pid}{Describe(pid)}";
        // A process holding the store open holds every feed open, so the first feed answers for all.
        if (feedDirectories.FirstOrDefault() is { } dir && IsFlocked(Path.Combine(dir, LegacyFeedFiles.BitfieldFile)))
            return $"{Path.GetFileName(dir)}/bitfield is locked by another process (a hypercore still has the feed open)";
        if (OperatingSystem.IsLinux() && OpenByProcess(cabalDirectory) is { } holder)
            return $"process {holder.Pid}{Describe(holder.Pid)} has {holder.File} open";
        return null;
    }

    /// <summary>.NET's IOException for a file another process has flock'ed exclusively.</summary>
    public static bool IsSharingViolation(IOException e)
        => e.HResult is EWouldBlock or unchecked((int)0x80070020) || e.GetType() == typeof(IOException) && e.Message.Contains("being used by another process", StringComparison.Ordinal);

    private const int EWouldBlock = 11;

    private static bool IsFlocked(string path)
    {
        try
        {
            // FileShare.Read makes .NET take flock(LOCK_SH | LOCK_NB), released when the handle closes.
            using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return false;
        }
        catch (IOException e) when (IsSharingViolation(e)) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    // ---- fcntl(F_GETLK) on Linux: who holds a POSIX write lock, without taking it -------------------

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    private const int FGetLk = 5;   // Linux, every 64-bit architecture (asm-generic)
    private const short FWrLck = 1;
    private const short FUnLck = 2;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, ref Flock lk);

    private static int? PosixLockHolder(string path)
    {
        try
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var lk = new Flock { Type = FWrLck, Whence = 0, Start = 0, Len = 0 };
            if (Fcntl((int)h.DangerousGetHandle(), FGetLk, ref lk) != 0) return null;
            return lk.Type == FUnLck ? null : lk.Pid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // ---- /proc/<pid>/fd: any process with a file under the directory open ------------------------------
    // Thousands of descriptors on a busy machine: listed with readdir and resolved with readlink into
    // stack buffers (one syscall each; .NET's enumeration would add a stat and an lstat per entry).

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint OpenDir(string path);

    [LibraryImport("libc", EntryPoint = "readdir")]
    private static partial nint ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "readlink")]
    private static unsafe partial nint ReadLink(byte* path, byte* buffer, nuint size);

    // struct dirent on 64-bit Linux (glibc and musl): d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
    private const int DirentNameOffset = 19;

    private static unsafe (int Pid, string File)? OpenByProcess(string directory)
    {
        var root = RealPath(directory);
        if (root is null) return null;
        var prefix = System.Text.Encoding.UTF8.GetBytes(root.TrimEnd('/') + "/");
        var self = Environment.ProcessId;
        Span<byte> path = stackalloc byte[64];
        Span<byte> target = stackalloc byte[4096];
        foreach (var name in List("/proc"))
        {
            if (!int.TryParse(name, out var pid) || pid == self) continue;
            foreach (var fd in List($"/proc/{pid}/fd"))
            {
                System.Text.Encoding.ASCII.GetBytes($"/proc/{pid}/fd/{fd}\0", path);
                nint n;
                fixed (byte* p = path) fixed (byte* t = target) n = ReadLink(p, t, (nuint)target.Length);
                if (n > prefix.Length && target[..prefix.Length].SequenceEqual(prefix))
                    return (pid, System.Text.Encoding.UTF8.GetString(target[prefix.Length..(int)n]));
            }
        }
        return null;
    }

    // Entry names of a directory (not "." or ".."); empty when it cannot be read (gone, not ours to see).
    private static unsafe List<string> List(string directory)
    {
        var names = new List<string>();
        var dir = OpenDir(directory);
        if (dir == 0) return names;
        try
        {
            for (var e = ReadDir(dir); e != 0; e = ReadDir(dir))
            {
                var name = Marshal.PtrToStringUTF8(e + DirentNameOffset);
                if (name is not (null or "." or "..")) names.Add(name);
            }
        }
        finally
        {
            CloseDir(dir);
        }
        return names;
    }

    private static string Describe(int pid)
    {
        try { return $" ({File.ReadAllText($"/proc/{pid}/comm").Trim()})"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);

    private static string? RealPath(string path)
    {
        try
        {
            var p = RealPathNative(Path.GetFullPath(path), 0);
            if (p == 0) return null;
            try { return Marshal.PtrToStringUTF8(p); }
            finally { Free(p); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Path.GetFullPath(path);
        }
    }
}
