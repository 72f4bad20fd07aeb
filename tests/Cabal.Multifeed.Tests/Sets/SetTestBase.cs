using Cabal.Multifeed.Sets;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

/// <summary>A temp directory, a cabal key, and C# set peers in it, all cleaned up after each test.</summary>
public abstract class SetTestBase : IAsyncLifetime
{
    protected readonly TempDir _dir = new();
    protected readonly byte[] _cabal = Ed25519.NewKeyPair().PublicKey;
    protected readonly AsyncDisposables _cleanup = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        _dir.Dispose();
    }

    private protected async Task<SetPeer> Peer(string name, MultifeedOptions? options = null, byte[]? cabal = null)
        => _cleanup.Track(await SetPeer.OpenAsync(_dir, name, cabal ?? _cabal, options));
}
