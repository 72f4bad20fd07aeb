// The chat layer's half of moving in from the JS Cabal: the feeds of a cabal-core 16 store go into
// the FeedStore through LegacyImporter (verified; whole feeds or nothing), the JS local writer becomes
// our identity for the cabal (LocalIdentityHandover, the seam issue 19 changes), and the cabal's views
// are built before this returns, so reading it afterwards (`cabal read`, `cabal info`, the client)
// finds everything indexed. The caller makes sure no other node has the store open (the program opens
// its node with NodeOptions.Exclusive).
using Cabal.Chat.Keys;
using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Chat.Import;

/// <summary>Options for <see cref="CabalImporter.ImportAsync"/>.</summary>
public sealed record CabalImportOptions
{
    /// <summary>Whether the JS writer named "local" becomes our identity for the cabal. Default true.</summary>
    public bool AdoptLocalIdentity { get; init; } = true;

    /// <summary>Durable commits for the cabal's views (the feed store has its own setting). Default true.</summary>
    public bool Durable { get; init; } = true;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>The outcome of importing one store: the feed-level report plus what the cabal looks like afterwards.</summary>
/// <param name="Report">What was verified, stored and skipped (see <see cref="LegacyImportReport"/>).</param>
/// <param name="LocalKey">Our local user's key for the cabal after the import (hex); null when the store was refused.</param>
/// <param name="CanReadPrivateMessages">Whether that user's secret key is known, so private messages can be read.</param>
/// <param name="EntriesIndexed">Entries the views took in while being built (0 when everything was indexed before).</param>
/// <param name="ViewsElapsed">How long building the views took (after the feeds were stored; <see cref="LegacyImportReport.Elapsed"/> is the feeds' part).</param>
public sealed record CabalImportResult(LegacyImportReport Report, string? LocalKey, bool CanReadPrivateMessages, long EntriesIndexed, TimeSpan ViewsElapsed = default);

public static class CabalImporter
{
    /// <summary>
    /// Imports <paramref name="source"/> (its cabal key known) into <paramref name="store"/>, hands the
    /// JS identity over and builds the views. Damaged feeds are reported in the result, not thrown; a
    /// refused store (still open by a JS process) stores nothing and builds nothing.
    /// </summary>
    public static async Task<CabalImportResult> ImportAsync(FeedStore store, LegacyCabalStore source, CabalImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CabalImportOptions();
        var report = await LegacyImporter.ImportAsync(store, source,
            new LegacyImportOptions { AdoptLocalIdentity = options.AdoptLocalIdentity, LoggerFactory = options.LoggerFactory }, cancellationToken).ConfigureAwait(false);
        if (report.Refused) return new CabalImportResult(report, null, false, 0);

        var views = System.Diagnostics.Stopwatch.StartNew();
        var identity = options.AdoptLocalIdentity ? LocalIdentityHandover.Take(source, report) : null;
        var cabalOptions = new CabalOptions { LoggerFactory = options.LoggerFactory, Durable = options.Durable, LocalKeyPair = identity };
        var core = await CabalCore.OpenAsync(store, new CabalUrl(source.KeyHex!), cabalOptions, cancellationToken).ConfigureAwait(false);
        await using (core.ConfigureAwait(false))
        {
            await core.WaitForIndexAsync(cancellationToken).ConfigureAwait(false);
            var logger = options.LoggerFactory.CreateLogger(typeof(CabalImporter));
            ImportLog.ViewsBuilt(logger, core.KeyHex, core.Statistics.EntriesIndexed, core.LocalKey, core.CanReadPrivateMessages);
            return new CabalImportResult(report, core.LocalKey, core.CanReadPrivateMessages, core.Statistics.EntriesIndexed, views.Elapsed);
        }
    }
}
