using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;

namespace Cabal.Perf;

/// <summary>A C# store ready to be measured.</summary>
/// <param name="BuildMs">How long building it took now, or null if it came from the cache.</param>
internal sealed record CachedStore(string StoreDir, double? BuildMs, long DiskBytes);

/// <summary>
/// Builds a cabal of N writable feeds × M chat/text messages once and keeps it under the cache
/// directory, keyed by N and M, so repeated sweeps measure only the open: the feeds grouped under
/// <see cref="CabalKeyHex"/> in one FeedStore, plus the cabal's chat views (CabalCore), indexed
/// once at build time and persisted, as the program leaves them after a session.
/// </summary>
internal static class StoreCache
{
    // Bump when the layout or contents of built stores change, so stale caches are rebuilt.
    private const string Format = "cs-cabal-v1";

    /// <summary>The cabal every built store belongs to.</summary>
    public static readonly string CabalKeyHex = Convert.ToHexStringLower(SHA256.HashData("cabal-perf cabal"u8));
    private const string MarkerFile = "complete.json";

    public static async Task<CachedStore> EnsureAsync(string cacheDir, int feeds, int messages, bool rebuild, CancellationToken ct)
    {
        var dir = Path.Combine(cacheDir, $"cs-f{feeds}-m{messages}");
        var storeDir = Path.Combine(dir, "store");
        if (!rebuild && IsComplete(dir, feeds, messages)) return new CachedStore(storeDir, null, DiskBytes(storeDir));

        // Build beside the final place and rename, so an interrupted build is never mistaken for a cached one.
        var building = dir + ".building";
        DeleteIfPresent(building);
        var sw = Stopwatch.StartNew();
        await BuildAsync(Path.Combine(building, "store"), feeds, messages, ct).ConfigureAwait(false);
        var buildMs = sw.Elapsed.TotalMilliseconds;
        await File.WriteAllTextAsync(Path.Combine(building, MarkerFile),
            JsonSerializer.Serialize(new { format = Format, feeds, messages, buildMs, builtAt = DateTimeOffset.UtcNow }), ct).ConfigureAwait(false);
        DeleteIfPresent(dir);
        Directory.Move(building, dir);
        return new CachedStore(storeDir, buildMs, DiskBytes(storeDir));
    }

    private static async Task BuildAsync(string storeDir, int feeds, int messages, CancellationToken ct)
    {
        // Not durable while building: one fsync at the end instead of one per group commit.
        var options = new FeedStoreOptions { Durable = false };
        var group = Convert.FromHexString(CabalKeyHex);
        var store = FeedStore.Open(storeDir, options);
        try
        {
            // Every create and append is issued before any is awaited: the store folds whatever is
            // queued into one LMDB commit, so thousands of feeds cost a handful of commits.
            var creates = new Task<Feed>[feeds];
            for (var u = 0; u < feeds; u++) creates[u] = store.CreateWritableAsync(KeyFor(u), group: group, cancellationToken: ct);
            var created = await Task.WhenAll(creates).ConfigureAwait(false);

            // One append (one signature) per message, as cabal-core publishes. Signing runs on the
            // calling thread, so feeds are spread over the cores; per feed the calls stay in order.
            var appends = new Task<ulong>[(long)feeds * messages];
            Parallel.For(0, feeds, new ParallelOptions { CancellationToken = ct }, u =>
            {
                for (var k = 0; k < messages; k++)
                    appends[(long)u * messages + k] = created[u].AppendAsync(ChatMessages.Text(u, k, messages), ct);
            });
            await Task.WhenAll(appends).ConfigureAwait(false);

            // The chat views, indexed now, as a user's program would have left them: opening the
            // cabal adds its (empty) local writer, like the JS cabal's local feed, and indexes every message.
            var core = await CabalCore.OpenAsync(store, new CabalUrl(CabalKeyHex), new CabalOptions { Durable = false, MaxEntriesPerCommit = 20_000 }, ct).ConfigureAwait(false);
            try
            {
                await core.WaitForIndexAsync(ct).ConfigureAwait(false);
                var expected = (long)feeds * messages;
                if (core.EntriesIndexedSinceOpen != expected || core.Statistics.Malformed != 0)
                    throw new InvalidOperationException($"Indexed {core.EntriesIndexedSinceOpen} entries ({core.Statistics.Malformed} malformed); expected {expected}.");
            }
            finally
            {
                await core.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
        // LMDB was opened without sync: flush the files (store and views) once now that every commit is in them.
        foreach (var file in Directory.EnumerateFiles(storeDir, "*.mdb", SearchOption.AllDirectories))
        {
            await using var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            fs.Flush(flushToDisk: true);
        }
    }

    /// <summary>Deterministic keys, so a rebuilt store has the same feeds.</summary>
    private static KeyPair KeyFor(int user)
        => Ed25519.KeyPairFromSeed(SHA256.HashData(Encoding.UTF8.GetBytes($"cabal-perf user {user}")));

    private static bool IsComplete(string dir, int feeds, int messages)
    {
        var marker = Path.Combine(dir, MarkerFile);
        if (!File.Exists(marker)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(marker));
            var root = doc.RootElement;
            return root.GetProperty("format").GetString() == Format
                && root.GetProperty("feeds").GetInt32() == feeds
                && root.GetProperty("messages").GetInt32() == messages;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    internal static long DiskBytes(string dir)
        => Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    internal static void DeleteIfPresent(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
