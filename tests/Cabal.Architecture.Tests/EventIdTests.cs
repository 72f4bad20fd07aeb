// The logging contract of docs/logging.md: every [LoggerMessage] id is unique across the assemblies
// and lies in a range the table gives to its class's assembly and namespace; the ranges are disjoint.
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Cabal.Architecture.Tests;

public sealed partial class EventIdTests
{
    internal sealed record Range(int First, int Last, string Assembly, string Namespace, string Layer)
    {
        public bool Covers(LogMethod m) => m.Id >= First && m.Id <= Last
            && (Assembly == "*" || Assembly == m.Assembly)
            && (Namespace == "*"
                || (Namespace.EndsWith(".*", StringComparison.Ordinal)
                    ? m.Namespace == Namespace[..^2] || m.Namespace.StartsWith(Namespace[..^1], StringComparison.Ordinal)
                    : m.Namespace == Namespace));

        public override string ToString() => $"{First}–{Last} {Assembly} {Namespace} ({Layer})";
    }

    internal sealed record LogMethod(int Id, string Assembly, string Namespace, string Name)
    {
        public override string ToString() => $"{Id} {Namespace}.{Name} ({Assembly})";
    }

    [GeneratedRegex(@"^\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*$")]
    private static partial Regex Row();

    internal static IReadOnlyList<Range> Ranges() =>
        File.ReadLines(Path.Combine(Cabal.Tests.TestPaths.RepoRoot, "docs", "logging.md"))
            .Select(l => Row().Match(l))
            .Where(m => m.Success)
            .Select(m => new Range(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), m.Groups[3].Value, m.Groups[4].Value, m.Groups[5].Value))
            .ToList();

    /// <summary>Every [LoggerMessage] method of the product assemblies, found by reflection.</summary>
    internal static IReadOnlyList<LogMethod> LogMethods() =>
        Assemblies.All.SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => new LogMethod(x.Attribute!.EventId, x.Method.DeclaringType!.Assembly.GetName().Name!, x.Method.DeclaringType.Namespace ?? "", x.Method.DeclaringType.Name + "." + x.Method.Name))
            .ToList();

    [Fact]
    public void The_table_has_the_ranges_of_every_layer()
    {
        var ranges = Ranges();
        Assert.True(ranges.Count >= 20, $"docs/logging.md lists {ranges.Count} ranges");
        Assert.All(ranges, r => Assert.True(r.First <= r.Last, r.ToString()));
    }

    [Fact]
    public void Ranges_do_not_overlap()
    {
        var ranges = Ranges().OrderBy(r => r.First).ToList();
        for (var i = 1; i < ranges.Count; i++)
            Assert.True(ranges[i].First > ranges[i - 1].Last, $"{ranges[i - 1]} overlaps {ranges[i]}");
    }

    [Fact]
    public void Log_methods_are_found()
    {
        var methods = LogMethods();
        // One assembly without any would mean the scan misses them (a trimmed attribute, a renamed type).
        Assert.All(Assemblies.All, a => Assert.Contains(methods, m => m.Assembly == a.GetName().Name));
    }

    [Fact]
    public void Every_event_id_is_set_and_unique_across_assemblies()
    {
        var methods = LogMethods();
        Assert.All(methods, m => Assert.True(m.Id > 0, $"{m} has no event id"));
        var duplicates = methods.GroupBy(m => m.Id).Where(g => g.Count() > 1).Select(g => string.Join(" and ", g)).ToList();
        Assert.True(duplicates.Count == 0, "Event ids used twice: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void Every_event_id_lies_in_its_layers_range()
    {
        var ranges = Ranges();
        var outside = LogMethods().Where(m => !ranges.Any(r => r.Covers(m))).ToList();
        Assert.True(outside.Count == 0, "Event ids outside the ranges docs/logging.md gives their namespace: " + string.Join("; ", outside));
    }

    [Fact]
    public void The_checks_catch_a_duplicate_and_a_stray_id()
    {
        // The rules above, on made-up methods: a duplicate is found, an id in another layer's range is refused.
        var ranges = Ranges();
        LogMethod a = new(2001, "Cabal.Net", "Cabal.Net.Internal", "ConnectionLog.A"), b = new(2001, "Cabal.Multifeed", "Cabal.Multifeed.Storage", "StorageLog.B");
        Assert.Single(new[] { a, b }.GroupBy(m => m.Id), g => g.Count() > 1);
        Assert.Contains(ranges, r => r.Covers(a));
        Assert.DoesNotContain(ranges, r => r.Covers(b));
        Assert.Contains(ranges, r => r.Covers(new LogMethod(7150, "Cabal.Net", "Cabal.Net.Udx.Internal", "UdxLog.C")));
        Assert.DoesNotContain(ranges, r => r.Covers(new LogMethod(7150, "Cabal.Net", "Cabal.Net.Dht", "DhtLog.D")));
    }
}
