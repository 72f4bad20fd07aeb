using System.Reflection;

namespace Cabal.Architecture.Tests;

/// <summary>The repository's product assemblies and where their sources live.</summary>
internal static class Assemblies
{
    public static readonly Assembly Net = typeof(Cabal.Net.ProtocolConnection).Assembly;
    public static readonly Assembly Multifeed = typeof(Cabal.Multifeed.Storage.FeedStore).Assembly;
    public static readonly Assembly Chat = typeof(Cabal.Chat.CabalCore).Assembly;
    public static readonly Assembly Program = typeof(Cabal.Cli.Program).Assembly;

    public static readonly Assembly[] All = [Net, Multifeed, Chat, Program];

    /// <summary>Source roots, with the root namespace of each (a folder below adds its name).</summary>
    public static readonly (string Dir, string Namespace, bool Library)[] Sources =
    [
        ("src/Net", "Cabal.Net", true),
        ("src/Multifeed", "Cabal.Multifeed", true),
        ("src/Chat/Cabal.Chat", "Cabal.Chat", true),
        ("src/Chat/Cabal.Cli", "Cabal.Cli", false),
    ];

    /// <summary>The C# sources under <paramref name="dir"/> (relative to the repo), build output left out.</summary>
    public static IEnumerable<string> SourceFiles(string dir)
    {
        var root = Path.Combine(Cabal.Tests.TestPaths.RepoRoot, dir);
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
    }

    public static string Relative(string path) => Path.GetRelativePath(Cabal.Tests.TestPaths.RepoRoot, path);
}
