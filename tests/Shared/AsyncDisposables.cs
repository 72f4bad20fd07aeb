namespace Cabal.Tests;

/// <summary>Things a test started (peers, connections, sessions), disposed in reverse order.</summary>
public sealed class AsyncDisposables : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _items = [];

    public T Track<T>(T item) where T : IAsyncDisposable
    {
        lock (_items) _items.Add(item);
        return item;
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] items;
        lock (_items) { items = [.. _items]; _items.Clear(); }
        for (var i = items.Length - 1; i >= 0; i--) await items[i].DisposeAsync();
    }
}
