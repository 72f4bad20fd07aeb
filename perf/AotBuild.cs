// The `cabal` program as it ships: a Native AOT publish (one native executable, no JIT, no runtime to
// load), the command of the README. Cached under CACHE/aot and redone when the program changes: the
// stamp is a hash of the program's compiled assemblies as built beside this harness (cabal.dll and the
// Cabal.*.dll it references; builds are deterministic, so the same sources hash the same) and of the
// files that set how it is published (its project file, the central package versions).
using System.Security.Cryptography;

namespace Cabal.Perf;

internal static class AotBuild
{
    public const string PublishCommand = "dotnet publish src/Chat/Cabal.Cli -c Release -r linux-x64 -o OUT";

    /// <summary>Publishes (or reuses) the Native AOT `cabal`; returns the executable's path, or null with a reason.</summary>
    public static async Task<(string? Path, string? Error)> EnsureAsync(string cacheDir, CancellationToken ct)
    {
        if (RepoPaths.Root is not { } root) return (null, "the repository (Cabal.sln) was not found: nothing to publish from");
        var project = Path.Combine(root, "src", "Chat", "Cabal.Cli", "Cabal.Cli.csproj");
        var inputs = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n == "cabal.dll" || (n.StartsWith("Cabal.", StringComparison.Ordinal) && n != "Cabal.Perf.dll")))
            .Order(StringComparer.Ordinal)
            // The AOT compiler's own inputs beside the project (its substitutions) change the binary too.
            .Concat([project, .. Directory.GetFiles(Path.GetDirectoryName(project)!, "*.xml"), Path.Combine(root, "Directory.Packages.props"), Path.Combine(root, "Directory.Build.props")])
            .Where(File.Exists)
            .ToList();
        if (!inputs.Any(f => Path.GetFileName(f) == "cabal.dll")) return (null, $"no cabal.dll beside the harness in {AppContext.BaseDirectory}");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in inputs)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f)));
            hash.AppendData(await File.ReadAllBytesAsync(f, ct).ConfigureAwait(false));
        }
        // Warnings are not errors here: a trim/AOT analysis warning must not stop the measurement (the
        // program's own build, with warnings as errors, is where they are caught).
        return await PublishCache.EnsureAsync(cacheDir, "aot", project, "cabal", Convert.ToHexString(hash.GetHashAndReset()),
            ["-p:PublishAot=true", "-p:TreatWarningsAsErrors=false"], "the `cabal` program with Native AOT", ct).ConfigureAwait(false);
    }
}
