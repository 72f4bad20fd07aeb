// Feeds offered by peers join the set through here (the admission rules: MultifeedSet.Admission.cs).
// Creation is pipelined: all feeds of one batch are queued at once and share the store's group
// commits, so 10,000 new feeds cost a handful of commits, not 10,000.
namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSet
{
    private int _reserved; // feeds being created, counted against the cap before they exist

    /// <summary>What the set makes of one offered key (lowercase hex, validated).</summary>
    internal enum Offer { Held, New, Foreign, LockedOut, Refused }

    internal Offer Classify(string keyHex)
    {
        // Blocked or removed feeds are never asked for (the replication policy, MultifeedSet.Policy.cs).
        if (!Allowed(keyHex)) return Offer.Refused;
        if (_byKey.ContainsKey(keyHex)) return Offer.Held;
        if (Store.TryGet(Convert.FromHexString(keyHex)) is not null) { MultifeedLog.ForeignFeed(_logger, keyHex); return Offer.Foreign; }
        return LockedOut(keyHex) ? Offer.LockedOut : Offer.New;
    }

    /// <summary>
    /// Stores the new feed <paramref name="keyHex"/>, which a peer showed holds data, if admission
    /// allows (lockdown, the caps with priority). Returns the feed (also when the set already held it),
    /// or null with the reason it was refused or failed (a full disk: the caller tries again later).
    /// </summary>
    internal async Task<(Feed? Feed, string? Refused, bool Failed)> StoreWithDataAsync(string keyHex, CancellationToken ct)
    {
        if (!Allowed(keyHex)) return (null, "the replication policy refuses it (blocked or removed)", false);
        if (_byKey.TryGetValue(keyHex, out var held)) return (held, null, false);
        if (ReserveForStore(keyHex) is { } refused) return (null, refused, false);
        try
        {
            var feed = await Store.GetOrAddRemoteAsync(Convert.FromHexString(keyHex), CabalKey, ct).ConfigureAwait(false);
            // The store may have held it for another cabal after all (added meanwhile).
            if (!feed.Group.Span.SequenceEqual(CabalKey)) { MultifeedLog.ForeignFeed(_logger, feed.KeyHex); return (null, "the store holds it for another cabal", false); }
            lock (_lock) { CountWithDataLocked(); _withData.Add(feed.KeyHex); } // counted now: its blocks follow
            Add(feed, raise: true);
            return (feed, null, false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MultifeedLog.CreateFailed(_logger, CabalKeyHex, e);
            return (null, null, true);
        }
        finally { ReleaseReservation(); }
    }
}
