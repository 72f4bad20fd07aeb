// Whole-file reads with open / pread / close and nothing else. An importer reads five to seven small
// files per feed and thousands of feeds; .NET's File.ReadAllBytes adds two fstat and two flock calls
// per file (its FileShare emulation), and an absent file costs it an exception. Here an absent file is
// one failed open. Linux only (the flag values are Linux's); elsewhere callers use File.ReadAllBytes.
using System.Runtime.InteropServices;

namespace Cabal.Multifeed.Legacy.Internal;

internal static partial class PosixFile
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000; // Linux, every architecture .NET runs on
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int EIntr = 4;

    public static bool Supported => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>The file's bytes, or null when it does not exist. Other failures throw <see cref="IOException"/>.</summary>
    public static unsafe byte[]? ReadAll(string path)
    {
        int fd;
        do fd = Open(path, ORdOnly | OCloExec);
        while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir) return null;
            throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        try
        {
            var buffer = new byte[4096];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, checked(buffer.Length * 2));
                var want = buffer.Length - length;
                nint n;
                fixed (byte* p = &buffer[length])
                    n = PRead(fd, p, (nuint)want, length);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr) continue;
                    throw new IOException($"cannot read {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
                }
                length += (int)n;
                if (n < want) break; // a regular file reads short only at its end
            }
            return length == buffer.Length ? buffer : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            Close(fd);
        }
    }
}
