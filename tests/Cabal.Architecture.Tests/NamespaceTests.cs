using Xunit.Abstractions;

namespace Cabal.Architecture.Tests;

public sealed class NamespaceTests(ITestOutputHelper output)
{
    private static bool InChat(string ns) => ns.StartsWith("Cabal.Chat", StringComparison.Ordinal) || ns.StartsWith("Cabal.Cli", StringComparison.Ordinal);

    [Fact]
    public void Chat_has_no_namespace_cycles()
    {
        var graph = NamespaceGraph.Read([Assemblies.Chat, Assemblies.Program], InChat);
        var cycles = NamespaceGraph.Cycles(graph);
        output.WriteLine(Describe(graph));
        Assert.True(cycles.Count == 0, "Namespace cycles: " + string.Join("; ", cycles.Select(c => string.Join(" ↔ ", c)))
            + "\n" + Describe(graph));
    }

    [Fact]
    public void The_library_does_not_use_the_program()
    {
        var graph = NamespaceGraph.Read([Assemblies.Chat], _ => true);
        Assert.DoesNotContain(graph.Values.SelectMany(v => v), ns => ns.StartsWith("Cabal.Cli", StringComparison.Ordinal) || ns.StartsWith("Terminal.Gui", StringComparison.Ordinal) || ns.StartsWith("System.CommandLine", StringComparison.Ordinal));
    }

    [Fact]
    public void The_graph_reader_sees_the_known_layering()
    {
        // A check of the checker: edges that must be there, and one that must not.
        var graph = NamespaceGraph.Read([Assemblies.Chat, Assemblies.Program], InChat);
        Assert.Contains("Cabal.Chat.Views", graph["Cabal.Chat.Indexing"]);
        Assert.Contains("Cabal.Chat.Moderation", graph["Cabal.Chat.Indexing"]);
        Assert.Contains("Cabal.Cli.Client", graph["Cabal.Cli.Tui"]);
        Assert.Contains("Cabal.Chat", graph["Cabal.Chat.Node"]);
        Assert.DoesNotContain("Cabal.Chat", graph["Cabal.Chat.Views"]);
        Assert.NotEmpty(NamespaceGraph.Cycles(new() { ["a"] = ["b"], ["b"] = ["a"] }));
    }

    /// <summary>The graph as text, one namespace per line: what the failure message and the README show.</summary>
    internal static string Describe(Dictionary<string, SortedSet<string>> graph)
        => string.Join("\n", graph.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} → {(kv.Value.Count == 0 ? "(none)" : string.Join(", ", kv.Value))}"));
}
