using Cabal.Tests;

namespace Cabal.Interop.Tests.Js;

/// <summary>
/// Base of the tests against real JS peers: a temp directory, and everything a test starts (JS
/// peers, connections, sessions) disposed in reverse order before the test's own resources.
/// </summary>
public abstract class JsInteropTest : IAsyncLifetime
{
    private readonly AsyncDisposables _cleanup = new();

    protected TempDir Dir { get; } = new();

    protected T Track<T>(T item) where T : IAsyncDisposable => _cleanup.Track(item);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _cleanup.DisposeAsync();
        await DisposeResourcesAsync();
        Dir.Dispose();
    }

    /// <summary>The test class's own resources (stores, replicators), after everything tracked.</summary>
    protected virtual ValueTask DisposeResourcesAsync() => ValueTask.CompletedTask;
}
