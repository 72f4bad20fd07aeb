using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cabal.Perf;

// The JSON written to --out. Field names are part of the harness's contract (the test reads them),
// so rename with care.

/// <summary>Median, min and max of one figure over the runs.</summary>
internal sealed record Summary(double Median, double Min, double Max, int Count)
{
    public static Summary? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is not null).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Summary(Math.Round(median, 3), Math.Round(sorted[0], 3), Math.Round(sorted[^1], 3), sorted.Length);
    }
}

internal static class Status
{
    public const string Ok = "ok";
    public const string DidNotFinish = "did-not-finish";
    public const string Failed = "failed";
    public const string Off = "off";
    public const string Unavailable = "unavailable";
    public const string NotAttempted = "not-attempted";
}

/// <summary>One fresh C# process.</summary>
/// <param name="MainToOpenMs">From the first line of Main (the runtime is up) until FeedStore.Open returned.</param>
/// <param name="SpawnToOpenMs">From just before the parent started the process until FeedStore.Open returned.</param>
/// <param name="RuntimeStartMs">SpawnToOpen minus MainToOpen: exec, the .NET host and runtime start-up.</param>
/// <param name="OpenMs">Inside FeedStore.Open only.</param>
/// <param name="NewestBlockMs">Reading the newest block of every feed after the open.</param>
/// <param name="ReopenMs">A second open in the same process after disposing the first: what is left once code is JIT-compiled and loaded.</param>
/// <param name="MainToLatest50Ms">From the first line of Main until the latest 50 messages of <c>default</c> were read (store open + CabalCore open + GetMessages).</param>
/// <param name="SpawnToLatest50Ms">The same from just before the parent started the process.</param>
/// <param name="CabalOpenMs">Inside CabalCore.OpenAsync only (after the store was open).</param>
/// <param name="Latest50QueryMs">Inside GetMessages(default, Latest(50)) only.</param>
/// <param name="Latest50Count">Messages that query returned (50 unless the cabal holds fewer).</param>
/// <param name="IndexedAtStartup">Entries the views indexed while opening and querying: 0, since they were built before.</param>
internal sealed record CsRun(
    double MainToOpenMs, double SpawnToOpenMs, double RuntimeStartMs, double OpenMs, double NewestBlockMs, double ReopenMs,
    int FeedsOpened, int BlocksRead, double? PeakRssMb, double WallMs,
    double MainToLatest50Ms, double SpawnToLatest50Ms, double CabalOpenMs, double Latest50QueryMs, int Latest50Count, long IndexedAtStartup);

internal sealed record CsResult(
    string Status, string? Detail, string StoreDir, double? StoreBuildMs, long StoreBytes, int WarmupRuns,
    IReadOnlyList<CsRun> Runs,
    Summary? MainToOpenMs, Summary? SpawnToOpenMs, Summary? RuntimeStartMs, Summary? OpenMs, Summary? NewestBlockMs, Summary? ReopenMs, Summary? PeakRssMb,
    Summary? MainToLatest50Ms, Summary? SpawnToLatest50Ms, Summary? CabalOpenMs, Summary? Latest50QueryMs);

/// <summary>One bench-load.js process. All "At" figures are ms since node started, like SpawnToOpenMs.</summary>
internal sealed record JsRun(double ReadyAtMs, double? IndexedAtMs, double? Latest50Ms, double? PeakRssMb, double WallMs, JsonElement Raw);

internal sealed record JsResult(
    string Status, string? Detail, string? CabalDir, double? CabalBuildMs, int TimeoutSeconds,
    IReadOnlyList<JsRun> Runs, Summary? ReadyAtMs, Summary? IndexedAtMs, Summary? Latest50Ms, Summary? PeakRssMb);

/// <summary>C# divided by JS: below 1 means C# is faster (or smaller).</summary>
/// <param name="OpenVsReady">C# spawn→open over JS process start→cabal.ready (both include process start-up).</param>
/// <param name="Latest50">C# spawn→latest 50 messages over JS process start→all indexed + the latest-50 read (both from process start).</param>
internal sealed record Ratios(double? OpenVsReady, double? PeakRss, double? Latest50 = null);

internal sealed record SizeResult(int Feeds, int Messages, [property: JsonPropertyName("csharp")] CsResult CSharp, JsResult Js, Ratios Ratio);

internal sealed record LoadReport(
    string Scenario, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string CommandLine,
    MachineInfo Machine, LoadOptions Options, IReadOnlyList<SizeResult> Sizes);
