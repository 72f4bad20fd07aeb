using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Replication;

/// <summary>Two real LMDB feed stores in a temp directory, each with its replicator: side a and side b.</summary>
public abstract class TwoStoreFixture : IAsyncLifetime
{
    protected readonly TempDir _dir = new();
    protected FeedStore _a = null!, _b = null!;
    protected Replicator _ra = null!, _rb = null!;

    public Task InitializeAsync()
    {
        _a = FeedStore.Open(_dir.Sub("a"));
        _b = FeedStore.Open(_dir.Sub("b"));
        _ra = new Replicator(_a);
        _rb = new Replicator(_b);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _ra.DisposeAsync(); await _rb.DisposeAsync();
        await _a.DisposeAsync(); await _b.DisposeAsync();
        _dir.Dispose();
    }
}
