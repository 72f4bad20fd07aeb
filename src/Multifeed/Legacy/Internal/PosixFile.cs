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

    private const int ScratchSize = 64 * 1024;

    [ThreadStatic]
    private static byte[]? t_scratch;

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
            // Read into a per-thread scratch buffer and copy out exactly what the file held: most feed
            // files are a few KiB, so guessing a size would cost a zeroed, discarded array per file.
            var buffer = t_scratch ??= GC.AllocateUninitializedArray<byte>(ScratchSize);
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = GC.AllocateUninitializedArray<byte>(checked(buffer.Length * 2));
                    buffer.AsSpan().CopyTo(larger);
                    buffer = larger; // a large file's buffer is its own, not the scratch
                }
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
            var result = GC.AllocateUninitializedArray<byte>(length);
            buffer.AsSpan(0, length).CopyTo(result);
            return result;
        }
        finally
        {
            Close(fd);
        }
    }
}
