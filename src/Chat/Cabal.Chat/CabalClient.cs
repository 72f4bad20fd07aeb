// Several cabals in one process, sharing one FeedStore (feeds are tagged with their cabal key).
// Each cabal gets its own views environment under <views root>/<cabal key>.
using System.Collections.Concurrent;
using Cabal.Chat.Keys;
using Cabal.Multifeed.Storage;

namespace Cabal.Chat;

public sealed class CabalClient(FeedStore store, CabalOptions? defaults = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task<CabalCore>> _cabals = new(StringComparer.Ordinal);
    private readonly CabalOptions _defaults = defaults ?? new CabalOptions();

    public FeedStore Store { get; } = store;

    /// <summary>The cabals opened so far (those still opening are left out).</summary>
    public IReadOnlyList<CabalCore> Cabals => _cabals.Values.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();

    /// <summary>Opens a cabal from a key or cabal:// URL (see <see cref="CabalUrl.Parse"/>); opening one already open returns it.</summary>
    public Task<CabalCore> OpenAsync(string keyOrUrl, CancellationToken cancellationToken = default)
        => OpenAsync(CabalUrl.Parse(keyOrUrl), cancellationToken);

    public async Task<CabalCore> OpenAsync(CabalUrl url, CancellationToken cancellationToken = default)
    {
        var task = _cabals.GetOrAdd(url.KeyHex, _ => CabalCore.OpenAsync(Store, url, _defaults with { ViewsDirectory = null }, cancellationToken));
        try { return await task.ConfigureAwait(false); }
        catch
        {
            _cabals.TryRemove(new KeyValuePair<string, Task<CabalCore>>(url.KeyHex, task));
            throw;
        }
    }

    /// <summary>Creates a new cabal (fresh random key) and opens it.</summary>
    public Task<CabalCore> CreateAsync(CancellationToken cancellationToken = default) => OpenAsync(CabalUrl.Generate(), cancellationToken);

    public CabalCore? Get(string keyHex)
        => _cabals.TryGetValue(CabalKeys.ParseHex(keyHex, "cabal key"), out var t) && t.IsCompletedSuccessfully ? t.Result : null;

    /// <summary>Closes one cabal (its feeds stay in the store).</summary>
    public async Task CloseAsync(string keyHex)
    {
        if (_cabals.TryRemove(CabalKeys.ParseHex(keyHex, "cabal key"), out var t))
            await (await t.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _cabals.Keys.ToList())
        {
            try { await CloseAsync(key).ConfigureAwait(false); }
            catch (Exception) { // a cabal that failed to open has nothing to close
            }
        }
    }
}
