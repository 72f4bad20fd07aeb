// Loads LMDB for LightningDB. The package's bundled linux-x64 liblmdb.so needs glibc 2.38, which
// Debian 12 (2.36) lacks; the build compiles LMDB 1.0.1 from the package's own C source into
// native/liblmdb.so beside the app (LmdbNative.targets), and we fall back to it here. Debian's
// liblmdb0 is LMDB 0.9 with an incompatible file format, so it is deliberately never tried.
using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;

namespace Cabal.Multifeed.Storage;

public static class LmdbNative
{
    private static int s_installed;

    /// <summary>Makes LightningDB load a working LMDB; call before creating any LightningEnvironment.</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "lmdb") return IntPtr.Zero;
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out var bundled)) return bundled;
        // The app's directory (a native AOT program's too, where assemblies have no file Location).
        var candidate = Path.Combine(AppContext.BaseDirectory, "native", "liblmdb.so");
        if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var built)) return built;
        return IntPtr.Zero; // the runtime then reports the original DllNotFoundException
    }
}
