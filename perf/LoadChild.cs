using System.Diagnostics;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Multifeed.Storage;

namespace Cabal.Perf;

/// <summary>What one fresh child process measured. Timestamps are raw Stopwatch ticks (CLOCK_MONOTONIC).</summary>
/// <param name="Feeds">The users' feeds (the cabal's own empty local writer is counted in <paramref name="LocalWriters"/>).</param>
/// <param name="Latest50Timestamp">When GetMessages(default, Latest(50)) returned.</param>
/// <param name="IndexedAtStartup">Entries the views indexed during the open and the query (0: they were already current).</param>
/// <param name="IndexedAfterIdle">The same, read after waiting for the indexer to go idle (after the clock stopped).</param>
internal sealed record ChildReport(
    long MainTimestamp, long OpenedTimestamp, long Latest50Timestamp, long StopwatchFrequency,
    double MainToOpenMs, double OpenMs, double CabalOpenMs, double Latest50QueryMs, double MainToLatest50Ms,
    double NewestBlockMs, double ReopenMs,
    int Feeds, int LocalWriters, int CorruptFeeds, ulong MinLength, ulong MaxLength, int BlocksRead,
    int Latest50Count, string? Latest50Newest, string? Latest50Oldest, long IndexedAtStartup, long IndexedAfterIdle, double? PeakRssMb);

/// <summary>
/// The hidden <c>load-child</c> subcommand: in a process that has done nothing else, open the store,
/// open its cabal (CabalCore over the persisted views) and read the latest 50 messages of
/// <c>default</c>; time each step and print one JSON line for the parent.
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
        int count, locals, corrupt, read;
        ulong min, max;
        long beforeRead, afterRead, cabalOpened, latest50;
        IReadOnlyList<ChatMessage> messages;
        long indexedAtStartup, indexedAfterIdle;
        try
        {
            // What a user waits for: the cabal open (views, moderation bootstrap, indexer start) and
            // the newest page of the default channel. The views are current, so nothing is re-indexed.
            var core = await CabalCore.OpenAsync(store, new CabalUrl(StoreCache.CabalKeyHex)).ConfigureAwait(false);
            cabalOpened = Stopwatch.GetTimestamp();
            try
            {
                messages = core.GetMessages("default", MessageQuery.Latest(50));
                latest50 = Stopwatch.GetTimestamp();
                indexedAtStartup = core.EntriesIndexedSinceOpen;
                using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await core.WaitForIndexAsync(idle.Token).ConfigureAwait(false);
                indexedAfterIdle = core.EntriesIndexedSinceOpen;
            }
            finally
            {
                await core.DisposeAsync().ConfigureAwait(false);
            }

            var all = store.Feeds;
            var feeds = all.Where(f => !(f.Writable && f.Name == Cabal.Multifeed.Sets.MultifeedOptions.DefaultLocalWriterName)).ToList();
            count = feeds.Count;
            locals = all.Count - count;

            // The newest block of every feed (the stand-in used before the chat views existed).
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
            mainTimestamp, opened, latest50, Stopwatch.Frequency,
            MainToOpenMs: Ms(mainTimestamp, opened), OpenMs: Ms(beforeOpen, opened),
            CabalOpenMs: Ms(opened, cabalOpened), Latest50QueryMs: Ms(cabalOpened, latest50),
            MainToLatest50Ms: Ms(mainTimestamp, latest50),
            NewestBlockMs: Ms(beforeRead, afterRead), ReopenMs: Ms(beforeReopen, reopened),
            count, locals, corrupt, min, max, read,
            messages.Count, messages.Count > 0 ? messages[0].Text : null, messages.Count > 0 ? messages[^1].Text : null,
            indexedAtStartup, indexedAfterIdle, peakRss);
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
