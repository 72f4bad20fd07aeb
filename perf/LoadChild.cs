using System.Diagnostics;
using System.Text.Json;
using Cabal.Multifeed.Storage;

namespace Cabal.Perf;

/// <summary>What one fresh child process measured. Timestamps are raw Stopwatch ticks (CLOCK_MONOTONIC).</summary>
internal sealed record ChildReport(
    long MainTimestamp, long OpenedTimestamp, long StopwatchFrequency,
    double MainToOpenMs, double OpenMs, double NewestBlockMs, double ReopenMs,
    int Feeds, int CorruptFeeds, ulong MinLength, ulong MaxLength, int BlocksRead, double? PeakRssMb);

/// <summary>
/// The hidden <c>load-child</c> subcommand: open a store in a process that has done nothing else,
/// time it, and print one JSON line for the parent.
/// </summary>
internal static class LoadChild
{
    public const string CommandName = "load-child";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(long mainTimestamp, string dir)
    {
        if (!Directory.Exists(dir))
        {
            await Console.Error.WriteLineAsync($"no such store: {dir}").ConfigureAwait(false);
            return 2;
        }
        var beforeOpen = Stopwatch.GetTimestamp();
        var store = FeedStore.Open(dir);
        var opened = Stopwatch.GetTimestamp();
        int count, corrupt, read;
        ulong min, max;
        long beforeRead, afterRead;
        try
        {
            var feeds = store.Feeds;
            count = feeds.Count;

            // Stand-in for "latest 50 messages" until the chat views exist: the newest block of every feed.
            beforeRead = Stopwatch.GetTimestamp();
            read = 0;
            foreach (var feed in feeds)
            {
                var length = feed.Length;
                if (length == 0) continue;
                if (feed.Get(length - 1).Length > 0) read++;
            }
            afterRead = Stopwatch.GetTimestamp();

            // Checks after the clock stopped: the figures are worthless if the store is not what we think.
            min = count == 0 ? 0 : feeds.Min(f => f.Length);
            max = count == 0 ? 0 : feeds.Max(f => f.Length);
            corrupt = store.CorruptFeeds.Count;
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
        var peakRss = PeakRssMb(); // before the second open, which would raise it

        // Opening again in the same process separates the one-off cost (loading assemblies and the
        // native library, JIT) from the cost that grows with the number of feeds.
        var beforeReopen = Stopwatch.GetTimestamp();
        var again = FeedStore.Open(dir);
        var reopened = Stopwatch.GetTimestamp();
        await again.DisposeAsync().ConfigureAwait(false);

        var report = new ChildReport(
            mainTimestamp, opened, Stopwatch.Frequency,
            MainToOpenMs: Ms(mainTimestamp, opened), OpenMs: Ms(beforeOpen, opened), NewestBlockMs: Ms(beforeRead, afterRead),
            ReopenMs: Ms(beforeReopen, reopened), count, corrupt, min, max, read, peakRss);
        await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, Json)).ConfigureAwait(false);
        return 0;
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>VmHWM: the process's peak resident set, what getrusage's ru_maxrss reports for node.</summary>
    internal static double? PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), provider: System.Globalization.CultureInfo.InvariantCulture);
                return Math.Round(kb / 1024.0, 1);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null; // not Linux
    }
}
