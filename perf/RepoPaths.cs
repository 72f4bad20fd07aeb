using System.Reflection;

namespace Cabal.Perf;

/// <summary>Default locations: perf/ inside the repository, and the shared JS interop harness beside it.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string?> s_root = new(FindRoot);

    /// <summary>The directory holding Cabal.sln, or null when the harness runs outside a checkout.</summary>
    public static string? Root => s_root.Value;

    public static string PerfDir => Path.Combine(Root ?? Environment.CurrentDirectory, "perf");

    public static string DefaultInterop =>
        Environment.GetEnvironmentVariable("CABAL_SHARED") is { Length: > 0 } shared
            ? Path.Combine(shared, "interop")
            : Path.GetFullPath(Path.Combine(Root ?? Environment.CurrentDirectory, "..", "shared", "interop"));

    private static string? FindRoot()
    {
        // The working directory first (dotnet run keeps it), then where the binary is, then where it was built from.
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Cabal.sln"))) return dir.FullName;
        }
        var built = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "CabalRepoRoot")?.Value;
        return built is { Length: > 0 } && File.Exists(Path.Combine(built, "Cabal.sln")) ? Path.GetFullPath(built) : null;
    }
}
