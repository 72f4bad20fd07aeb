using System.Text.Json;

namespace Cabal.Tests;

/// <summary>Where the shared references live: ../shared beside the repo, or $CABAL_SHARED.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> s_repoRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cabal.sln"))) dir = dir.Parent;
        if (dir is not null) return dir.FullName;
        var built = typeof(TestPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "CabalRepoRoot")?.Value;
        return built is { Length: > 0 } && File.Exists(Path.Combine(built, "Cabal.sln"))
            ? Path.GetFullPath(built)
            : throw new InvalidOperationException("Cannot find Cabal.sln above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => s_repoRoot.Value;

    public static string Shared =>
        Environment.GetEnvironmentVariable("CABAL_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Interop => Path.Combine(Shared, "interop");

    private static readonly Lazy<JsonDocument> s_vectors = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Interop, "vectors.json"))));

    /// <summary>../shared/interop/vectors.json, parsed once.</summary>
    public static JsonElement Vectors => s_vectors.Value.RootElement;

    private static readonly Lazy<JsonDocument> s_dhtVectors = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Interop, "dht-vectors.json"))));

    /// <summary>../shared/interop/dht-vectors.json (hyperswarm stack), parsed once.</summary>
    public static JsonElement DhtVectors => s_dhtVectors.Value.RootElement;

    public static byte[] Hex(string s) => Convert.FromHexString(s);

    public static string ToHex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
}
