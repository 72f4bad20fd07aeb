// The importer core: a cabal-core 16 store (LegacyCabalStore) into our FeedStore, as verified data.
//   refuse the whole store when a JS process still has it open, or when its cabal key is unknown;
//   read + verify feeds in chunks (in parallel, the next chunk while the previous one is stored);
//   store each chunk in slot order with FeedStore.StoreVerifiedAsync (one transaction per chunk:
//   whole feeds or nothing; only what is new, so a second import adds only what changed);
//   report per feed what was skipped and why; every other feed is still imported.
// The source is only ever read. Handing the identity to CabalCore and building the views is the chat
// layer's part (Cabal.Chat.Import.CabalImporter); the program's `cabal import` drives that.
using System.Diagnostics;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Multifeed.Legacy;

/// <summary>Options for <see cref="LegacyImporter.ImportAsync"/>.</summary>
public sealed record LegacyImportOptions
{
    /// <summary>
    /// Whether the writer named <see cref="LocalName"/> becomes our writable feed for the cabal, secret
    /// key included (see the identity seam in <see cref="LegacyImporter"/>). Default true.
    /// </summary>
    public bool AdoptLocalIdentity { get; init; } = true;

    /// <summary>multifeed's name for the local writer (cabal-core: <c>kcore.writer('local')</c>). Default "local".</summary>
    public string LocalName { get; init; } = "local";

    /// <summary>Feeds read and verified at once. Default: the processor count.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Feeds per store transaction (fewer when their data exceeds <see cref="MaxChunkBytes"/>). Small
    /// enough that storing one chunk overlaps verifying the next; each costs one durable commit. Default 256.
    /// </summary>
    public int ChunkFeeds { get; init; } = 256;

    /// <summary>Block bytes per store transaction, bounding memory and LMDB's dirty pages. Default 64 MiB.</summary>
    public long MaxChunkBytes { get; init; } = 64L << 20;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>What happened to the local writer's identity.</summary>
/// <param name="FeedKey">The JS local writer's key (hex).</param>
/// <param name="Adopted">It is stored as our writable feed for the cabal, secret key included.</param>
/// <param name="Reason">Why not, when not.</param>
/// <param name="Slot">The feed directory it was read from (its slot number in the source store).</param>
public sealed record LegacyIdentityOutcome(string FeedKey, bool Adopted, string? Reason, string? Slot = null);

/// <summary>The outcome of importing one cabal store.</summary>
public sealed record LegacyImportReport
{
    public required string Path { get; init; }
    public string? CabalKey { get; init; }

    /// <summary>The whole store was refused (locked, unknown key); nothing was stored.</summary>
    public bool Refused { get; init; }

    /// <summary>Feed directories found.</summary>
    public int Feeds { get; init; }

    /// <summary>Feeds verified and stored (or already held).</summary>
    public int FeedsImported { get; init; }

    public int FeedsSkipped => Feeds - FeedsImported;

    /// <summary>Blocks read and verified from the source.</summary>
    public ulong BlocksVerified { get; init; }

    /// <summary>Blocks our store did not hold before, and their bytes.</summary>
    public ulong NewBlocks { get; init; }
    public ulong NewBytes { get; init; }

    /// <summary>Blocks listed past a feed's signed length: not verifiable, not imported.</summary>
    public ulong BlocksNotTaken { get; init; }

    public LegacyIdentityOutcome? LocalIdentity { get; init; }

    public IReadOnlyList<LegacyProblem> Problems { get; init; } = [];

    /// <summary>Things that did not stop a feed from being imported.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public TimeSpan Elapsed { get; init; }
}

public static class LegacyImporter
{
    /// <summary>
    /// Imports <paramref name="source"/> into <paramref name="store"/>, filing its feeds under the
    /// cabal key. Bad or damaged input is reported, never thrown; a failure of our own store is thrown
    /// (what was committed before it is whole, and importing again continues from there).
    /// </summary>
    public static async Task<LegacyImportReport> ImportAsync(FeedStore store, LegacyCabalStore source, LegacyImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LegacyImportOptions();
        if (options.Parallelism < 1 || options.ChunkFeeds < 1 || options.MaxChunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), "Parallelism, ChunkFeeds and MaxChunkBytes must be positive.");
        var logger = options.LoggerFactory.CreateLogger(typeof(LegacyImporter));
        var sw = Stopwatch.StartNew();

        if (source.Key is null)
            return Refuse(source, logger, sw, LegacyProblemKind.UnknownCabalKey, "the cabal key is unknown: the directory is not named by it; give it explicitly");
        // A store still being written could be caught mid-append, so nothing is stored unless no process
        // holds it. The check (a walk over every process's open files) runs while the first feeds are
        // read and verified, which only reads; its answer is awaited before the first write.
        var holder = Task.Run(source.FindOpenHolder, cancellationToken);
        var run = new Run(store, source, options, logger);
        if (!await run.ExecuteAsync(holder, cancellationToken).ConfigureAwait(false))
            return Refuse(source, logger, sw, LegacyProblemKind.Locked, $"the store is still open: {await holder.ConfigureAwait(false)}. Close the JS client and import again");
        var report = run.Report(sw.Elapsed);
        LegacyLog.Imported(logger, source.KeyHex!, source.Path, report.FeedsImported, report.NewBlocks, report.NewBytes, report.Problems.Count, sw.Elapsed.TotalMilliseconds);
        return report;
    }

    private static LegacyImportReport Refuse(LegacyCabalStore source, ILogger logger, Stopwatch sw, LegacyProblemKind kind, string reason)
    {
        LegacyLog.StoreRefused(logger, source.Path, reason);
        return new LegacyImportReport
        {
            Path = source.Path, CabalKey = source.KeyHex, Refused = true, Feeds = source.FeedDirectories.Count,
            Problems = [new LegacyProblem(kind, reason)], Elapsed = sw.Elapsed,
        };
    }

    private sealed class Run(FeedStore store, LegacyCabalStore source, LegacyImportOptions options, ILogger logger)
    {
        private readonly List<LegacyProblem> _problems = [];
        private readonly List<string> _notes = [];
        private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal); // feed key → first slot
        private bool _afterGap;
        private int _imported;
        private ulong _verified, _newBlocks, _newBytes, _notTaken;
        private LegacyIdentityOutcome? _identity;

        /// <summary>False, having stored nothing, when <paramref name="holder"/> names a process that has the store open.</summary>
        public async Task<bool> ExecuteAsync(Task<string?> holder, CancellationToken ct)
        {
            var chunks = Chunks(source.FeedDirectories);
            // Verify chunk n + 1 while chunk n is committed, and keep up to two commits in flight: the
            // store folds what is queued into one durable commit, so a slow fsync does not stall reading.
            var commits = new Queue<Task<(List<(LegacyFeed Feed, VerifiedFeedData Data)> Batch, IReadOnlyList<VerifiedFeedStored> Stored)>>();
            try
            {
                Task<LegacyFeedResult[]>? next = chunks.Count > 0 ? VerifyAsync(chunks[0], ct) : null;
                for (var c = 0; c < chunks.Count; c++)
                {
                    var results = await next!.ConfigureAwait(false);
                    if (c == 0 && await holder.ConfigureAwait(false) is not null) return false;
                    next = c + 1 < chunks.Count ? VerifyAsync(chunks[c + 1], ct) : null;
                    foreach (var batch in Prepare(results)) commits.Enqueue(CommitAsync(batch, ct));
                    while (commits.Count > 2) Merge(await commits.Dequeue().ConfigureAwait(false));
                }
                while (commits.Count > 0) Merge(await commits.Dequeue().ConfigureAwait(false));
                return chunks.Count > 0 || await holder.ConfigureAwait(false) is null;
            }
            catch
            {
                // Whatever else was in flight ends before the failure is reported (its own failure included).
                try { await Task.WhenAll(commits).ConfigureAwait(false); }
                catch (Exception) { }
                throw;
            }
        }

        // Feeds are read whole, so a chunk is bounded by the size of its data files as well as by count
        // (one stat per feed). A feed larger than the bound is a chunk of its own.
        private List<string[]> Chunks(IReadOnlyList<string> dirs)
        {
            var chunks = new List<string[]>();
            var current = new List<string>();
            long bytes = 0;
            foreach (var dir in dirs)
            {
                long size;
                try { size = new FileInfo(Path.Combine(dir, LegacyFeedFiles.DataFile)).Length; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { size = 0; }
                if (current.Count > 0 && (current.Count >= options.ChunkFeeds || bytes + size > options.MaxChunkBytes))
                {
                    chunks.Add([.. current]);
                    current.Clear();
                    bytes = 0;
                }
                current.Add(dir);
                bytes += size;
            }
            if (current.Count > 0) chunks.Add([.. current]);
            return chunks;
        }

        private Task<LegacyFeedResult[]> VerifyAsync(string[] dirs, CancellationToken ct) => Task.Run(() =>
        {
            var results = new LegacyFeedResult[dirs.Length];
            Parallel.For(0, dirs.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct },
                i => results[i] = LegacyFeedVerifier.Read(dirs[i]));
            return results;
        }, ct);

        // In slot order, on the importing thread: what failed, duplicates, notes, and the feeds to store
        // in batches bounded by their block bytes.
        private List<List<(LegacyFeed Feed, VerifiedFeedData Data)>> Prepare(LegacyFeedResult[] results)
        {
            var batches = new List<List<(LegacyFeed Feed, VerifiedFeedData Data)>>();
            var batch = new List<(LegacyFeed Feed, VerifiedFeedData Data)>();
            long bytes = 0;
            foreach (var r in results)
            {
                // multifeed stops loading at the first slot without a key: the JS client never saw the rest.
                if (_afterGap) _notes.Add($"feed {r.Slot} comes after a slot without a key: the JS client never loaded it");
                if (r.Feed is not { } feed)
                {
                    _afterGap |= r.Problem!.Kind == LegacyProblemKind.MissingKey;
                    Skip(r.Problem);
                    continue;
                }
                if (!_seen.TryAdd(Convert.ToHexStringLower(feed.PublicKey), feed.Slot))
                {
                    Skip(new LegacyProblem(LegacyProblemKind.Conflict, $"the same feed as slot {_seen[Convert.ToHexStringLower(feed.PublicKey)]}", feed.Slot));
                    continue;
                }
                foreach (var note in feed.Notes) _notes.Add($"feed {feed.Slot}: {note}");
                _verified += (ulong)feed.Blocks.Count;
                _notTaken += feed.BlocksPastLength;
                var blockBytes = (long)feed.BlockBytes;
                if (batch.Count > 0 && bytes + blockBytes > options.MaxChunkBytes)
                {
                    batches.Add(batch);
                    batch = [];
                    bytes = 0;
                }
                batch.Add((feed, ToVerified(feed)));
                bytes += blockBytes;
            }
            if (batch.Count > 0) batches.Add(batch);
            return batches;
        }

        // Called in slot order: the store numbers new feeds and checks them against each other as it is called.
        private async Task<(List<(LegacyFeed Feed, VerifiedFeedData Data)> Batch, IReadOnlyList<VerifiedFeedStored> Stored)> CommitAsync(
            List<(LegacyFeed Feed, VerifiedFeedData Data)> batch, CancellationToken ct)
            => (batch, await store.StoreVerifiedAsync([.. batch.Select(b => b.Data)], ct).ConfigureAwait(false));

        private void Merge((List<(LegacyFeed Feed, VerifiedFeedData Data)> Batch, IReadOnlyList<VerifiedFeedStored> Stored) done)
        {
            for (var i = 0; i < done.Stored.Count; i++)
            {
                var s = done.Stored[i];
                if (s.Refused is { } why)
                {
                    Skip(new LegacyProblem(LegacyProblemKind.Conflict, why, done.Batch[i].Feed.Slot));
                    continue;
                }
                _imported++;
                _newBlocks += s.NewBlocks;
                _newBytes += s.NewBytes;
            }
        }

        private void Skip(LegacyProblem p)
        {
            _problems.Add(p);
            LegacyLog.FeedSkipped(logger, p.Slot ?? "?", source.Path, $"{p.Kind}: {p.Reason}");
        }

        // The feed as the store takes it: filed under the cabal, and a writer's key and name only when
        // it is handed over as our identity.
        private VerifiedFeedData ToVerified(LegacyFeed feed)
        {
            var (secretKey, name) = IdentityFor(feed);
            return feed with { Group = source.Key, SecretKey = secretKey, Name = name };
        }

        // SEAM(identity, issue 19): how the JS local writer becomes our writer for the cabal. It is kept
        // inside the feed store the way the store holds any writer today (the feed header carries the
        // secret key; CabalCore finds its writer as the cabal's writable feed named "local"); the chat
        // layer's LocalIdentityHandover then gives CabalCore the secret key for its views. Issue 19
        // (branch fork2) moves where the local writer's secret key lives: these two places change.
        // Refused here, and reported: a cabal that already has another local identity in this store,
        // a feed we hold read-only already (learnt from a peer), a writer with missing blocks.
        private (byte[]? SecretKey, string? Name) IdentityFor(LegacyFeed feed)
        {
            if (feed.Name != options.LocalName || !options.AdoptLocalIdentity) return (null, null);
            var key = Convert.ToHexStringLower(feed.PublicKey);
            string? reason = null;
            if (feed.SecretKey is null) reason = "its secret_key file is missing or does not match the feed";
            else if (!feed.IsComplete) reason = $"it holds {feed.Blocks.Count} of its {feed.Length} blocks (a writer needs them all)";
            else if (store.TryGet(feed.PublicKey) is { Writable: false }) reason = "this store already holds the feed as read-only (learnt from a peer); turning a held feed into our writer is not supported yet";
            else if (store.List(source.Key).FirstOrDefault(f => f.Writable && f.Name == options.LocalName && !f.Key.AsSpan().SequenceEqual(feed.PublicKey)) is { } other)
                reason = $"this cabal already has a local identity here ({other.KeyHex}); the JS one is imported as a read-only feed";
            _identity = new LegacyIdentityOutcome(key, reason is null, reason, feed.Slot);
            if (reason is null) return (feed.SecretKey, options.LocalName);
            _problems.Add(new LegacyProblem(LegacyProblemKind.Identity, reason, feed.Slot));
            LegacyLog.IdentityNotAdopted(logger, source.KeyHex!, key, reason);
            return (null, null);
        }

        public LegacyImportReport Report(TimeSpan elapsed) => new()
        {
            Path = source.Path,
            CabalKey = source.KeyHex,
            Feeds = source.FeedDirectories.Count,
            FeedsImported = _imported,
            BlocksVerified = _verified,
            NewBlocks = _newBlocks,
            NewBytes = _newBytes,
            BlocksNotTaken = _notTaken,
            LocalIdentity = _identity,
            Problems = _problems,
            Notes = _notes,
            Elapsed = elapsed,
        };
    }
}
