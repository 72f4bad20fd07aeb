// One writer per data directory. Two processes appending to one feed would publish two different
// blocks at the same seq: a forked log that peers refuse for good. So the first `cabal` process
// that opens a data directory takes an OS lock on DIR/lock (flock, exclusive: .NET takes it for
// FileShare.None) and holds it until it exits; the kernel drops it when the process dies, even on
// SIGKILL, so a crash never leaves a stale lock. Its pid goes to DIR/lock.pid, for the message
// another process shows when it can neither take the lock nor hand its command to the holder.
namespace Cabal.Cli;

internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    public static string LockFile(string root) => Path.Combine(root, "lock");

    public static string PidFile(string root) => Path.Combine(root, "lock.pid");

    /// <summary>Takes the lock of <paramref name="root"/> (creating the directory), or null if another process holds it.</summary>
    public static DataDirectoryLock? TryAcquire(string root)
    {
        Directory.CreateDirectory(root);
        FileStream file;
        try { file = new FileStream(LockFile(root), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && IsSharingViolation(e)) { return null; }
        try
        {
            var pid = PidFile(root);
            File.WriteAllText(pid + ".tmp", Environment.ProcessId + "\n");
            File.Move(pid + ".tmp", pid, overwrite: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return new DataDirectoryLock(file);
    }

    /// <summary>The pid the current holder wrote, if readable.</summary>
    public static int? HolderPid(string root)
    {
        try { return int.TryParse(File.ReadAllText(PidFile(root)).Trim(), out var pid) ? pid : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    // A lock held elsewhere shows as EWOULDBLOCK (11) from flock, reported as a sharing violation.
    private static bool IsSharingViolation(IOException e) => (e.HResult & 0xFFFF) is 11 or 32 || e.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase);

    public void Dispose() => _file.Dispose();
}
