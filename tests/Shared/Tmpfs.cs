using System.Diagnostics;

namespace Cabal.Tests;

/// <summary>A [Fact] that is skipped (counted as skipped) where tmpfs cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!Tmpfs.CanMount.Value) Skip = "mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN)";
    }
}

/// <summary>A small tmpfs mounted for one test, unmounted on dispose.</summary>
public sealed class Tmpfs : IDisposable
{
    public static readonly Lazy<bool> CanMount = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return false;
        var probe = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cabal-tmpfs-probe-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(probe);
            if (Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe) != 0) return false;
            Run("umount", probe);
            return true;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException) { return false; }
        finally { try { Directory.Delete(probe); } catch (IOException) { } }
    });

    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs Mount(string path, string size)
    {
        Directory.CreateDirectory(path);
        if (Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path) != 0) throw new InvalidOperationException("mount failed");
        return new Tmpfs(path);
    }

    /// <summary>Remounts with extra options (for example "ro").</summary>
    public void Remount(string options)
    {
        if (Run("mount", "-o", "remount," + options, Path) != 0) throw new InvalidOperationException("remount failed");
    }

    public void Resize(string size)
    {
        if (Run("mount", "-o", "remount,size=" + size, Path) != 0) throw new InvalidOperationException("remount failed");
    }

    public void Dispose()
    {
        if (Run("umount", Path) != 0) Run("umount", "-l", Path);
    }

    private static int Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit(10_000);
        return p.HasExited ? p.ExitCode : -1;
    }
}
