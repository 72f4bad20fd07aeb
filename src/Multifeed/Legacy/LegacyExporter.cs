// The exporter core: one cabal of our FeedStore written as a cabal-core 16 store (LegacyCabalWriter).
// Slot 0 is our local writer, named "local" with its secret key, as cabal-core creates it in a fresh
// cabal, so cabal-core opens the store as its own and keeps posting as the same user; every other
// feed of the cabal follows in store order as a feed learnt from peers (no localname, no secret key).
// The program's `cabal export` drives it.
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Multifeed.Legacy;

/// <summary>Options for <see cref="LegacyExporter.ExportAsync"/>.</summary>
public sealed record LegacyExportOptions
{
    /// <summary>The local writer's key; default: the cabal's writable feed named <see cref="LocalName"/>.</summary>
    public byte[]? LocalFeedKey { get; init; }

    /// <summary>
    /// SEAM(identity, issue 19): the local writer's 64-byte secret key. Default: the one the feed store
    /// holds for that feed. Once branch fork2 keeps it elsewhere, the caller passes it here.
    /// </summary>
    public byte[]? LocalSecretKey { get; init; }

    public string LocalName { get; init; } = "local";

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>The outcome of an export.</summary>
/// <param name="LocalFeedKey">The feed written as slot 0 "local" (hex), null when the cabal had no local writer.</param>
/// <param name="WithSecretKey">Slot 0 carries its secret key (cabal-core can keep posting as this user).</param>
public sealed record LegacyExportReport(string Path, string CabalKey, int Feeds, ulong Blocks, long BytesWritten, string? LocalFeedKey, bool WithSecretKey, IReadOnlyList<string> Notes);

public static class LegacyExporter
{
    /// <summary>
    /// Writes the cabal <paramref name="cabalKey"/> of <paramref name="store"/> to <paramref name="target"/>,
    /// which must not exist or be empty. Throws <see cref="InvalidOperationException"/> when the store
    /// holds no such cabal, <see cref="IOException"/> when the target is taken; nothing is left behind.
    /// </summary>
    public static Task<LegacyExportReport> ExportAsync(FeedStore store, ReadOnlyMemory<byte> cabalKey, string target, LegacyExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (cabalKey.Length != 32) throw new ArgumentException($"A cabal key is 32 bytes, got {cabalKey.Length}.", nameof(cabalKey));
        options ??= new LegacyExportOptions();
        if (options.LocalSecretKey is { Length: not Ed25519.SecretKeySize }) throw new ArgumentException("A secret key is 64 bytes (seed ‖ public key).", nameof(options));
        return Task.Run(() => Export(store, cabalKey.ToArray(), target, options, cancellationToken), cancellationToken);
    }

    private static LegacyExportReport Export(FeedStore store, byte[] cabalKey, string target, LegacyExportOptions options, CancellationToken ct)
    {
        var logger = options.LoggerFactory.CreateLogger(typeof(LegacyExporter));
        var keyHex = Convert.ToHexStringLower(cabalKey);
        var feeds = store.List(cabalKey).ToList();
        if (feeds.Count == 0) throw new InvalidOperationException($"The store holds no cabal {keyHex}.");
        var notes = new List<string>();

        var local = options.LocalFeedKey is { } lk
            ? feeds.FirstOrDefault(f => f.Key.AsSpan().SequenceEqual(lk)) ?? throw new InvalidOperationException($"Cabal {keyHex} has no feed {Convert.ToHexStringLower(lk)}.")
            : feeds.FirstOrDefault(f => f.Writable && f.Name == options.LocalName);
        byte[]? secret = null;
        if (local is null) notes.Add("the cabal has no local writer here: cabal-core will create a new identity when it opens the export");
        else
        {
            secret = options.LocalSecretKey ?? local.SecretKeyForExport;
            if (secret is not null && !secret.AsSpan(32).SequenceEqual(local.Key))
                throw new ArgumentException("The secret key given does not belong to the local feed.", nameof(options));
            if (secret is null) notes.Add("the local writer's secret key is unknown: the export is read-only for that user");
        }

        var ordered = new List<LegacyFeed>(feeds.Count);
        if (local is not null) ordered.Add(Internal.StoredFeedReader.Read(store, local, "0", secret, options.LocalName));
        foreach (var f in feeds)
        {
            ct.ThrowIfCancellationRequested();
            if (ReferenceEquals(f, local)) continue;
            if (f.Writable) notes.Add($"feed {f.KeyHex} is another writer of ours: exported as a read-only feed");
            ordered.Add(Internal.StoredFeedReader.Read(store, f, ordered.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null));
        }

        var bytes = LegacyCabalWriter.Write(target, ordered, ct);
        var blocks = (ulong)ordered.Sum(f => (long)f.Blocks.Count);
        LegacyLog.Exported(logger, keyHex, target, ordered.Count, blocks, bytes);
        return new LegacyExportReport(Path.GetFullPath(target), keyHex, ordered.Count, blocks, bytes, local?.KeyHex, secret is not null, notes);
    }
}
