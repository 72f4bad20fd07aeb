// Damaged views are rebuilt from the feeds, with a warning, wherever the damage is found.
//
// Every view record carries a checksum (Views/Lmdb.cs). A query that meets a record failing it (or
// an LMDB corruption code, or a stored entry that no longer parses) throws ViewsDamagedException
// inside; Query catches it, logs ChatLog.ViewsDamaged, rebuilds the views on the calling thread
// (Indexer.Rebuild: empty every table, re-index each feed up to where it was) and asks again, so
// the caller gets the full answer. Only a second failure (the rebuild itself damaged) reaches the
// caller, as ViewsDamagedException with a one-line message. The indexer's own view reads get the
// same treatment through OnIndexerFoundDamage. Damage found at open is handled in OpenAsync.
//
// The rebuild runs where the damage was found, so a query on a UI thread pays for it once; that
// is the price of answering correctly instead of with a silently shorter list.
using Cabal.Chat.Moderation;
using Cabal.Chat.Views;
using LightningDB;

namespace Cabal.Chat;

public sealed partial class CabalCore
{
    /// <summary>Runs <paramref name="query"/> in one read transaction; rebuilds damaged views and runs it again once.</summary>
    private T Query<T>(Func<LightningTransaction, T> query)
    {
        var generation = _indexer.Generation;
        try
        {
            using var read = BeginRead();
            return query(read.Transaction);
        }
        catch (ViewsDamagedException e)
        {
            RebuildDamagedViews(e, generation);
        }
        using var again = BeginRead();
        return query(again.Transaction);
    }

    private void RebuildDamagedViews(ViewsDamagedException e, int generation)
    {
        ChatLog.ViewsDamaged(_logger, _views.Path, e.Detail);
        var secret = LocalFeed.CopySecretKey()!;
        _indexer.Rebuild(generation, tx =>
        {
            KeepIdentityCopy(tx, _views, secret);
            ModerationBootstrap.Run(tx, _auth, LocalFeed.Key, Url.AdminKeys, Url.ModKeys);
        });
        ReloadNetworkBlocks(); // a rebuild publishes no events: read the blocks it re-derived
    }

    private void OnIndexerFoundDamage(ViewsDamagedException e, int generation)
    {
        try { RebuildDamagedViews(e, generation); }
        catch (Exception failed) when (failed is ViewsDamagedException or LightningException or IOException)
        {
            ChatLog.ViewsRebuildFailed(_logger, _views.Path, failed);
        }
    }
}
