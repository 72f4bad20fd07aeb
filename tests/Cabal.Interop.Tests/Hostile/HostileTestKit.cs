using System.Net;
using System.Net.Sockets;
using Cabal.Multifeed.Replication;
using Cabal.Net.Crypto;
using Cabal.Perf.Hostile;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Hostile;

/// <summary>Attackers and victims for the hostile-peer tests (issue 20); the attackers themselves live in perf/Hostile. Loopback only: 127.0.0.x.</summary>
internal static class HostileTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The attackers' address.</summary>
    public static readonly IPAddress Attacker = IPAddress.Loopback;

    /// <summary>A legitimate peer's address: another loopback address, in the same /8 but another host.</summary>
    public static readonly IPAddress Legitimate = IPAddress.Parse("127.0.0.2");

    public static async Task<MultifeedSet> OpenSetAsync(TempDir dir, string name, byte[] cabal, AsyncDisposables cleanup, MultifeedOptions? options = null)
    {
        var store = FeedStore.Open(dir.Sub(name), new FeedStoreOptions { Durable = false });
        var replicator = new Replicator(store);
        var set = await MultifeedSet.OpenAsync(store, replicator, cabal, options);
        cleanup.Track(store);
        cleanup.Track(replicator);
        cleanup.Track(set);
        return set;
    }

    /// <summary>A TCP connection from <paramref name="from"/> (a loopback address) to 127.0.0.1:<paramref name="port"/>.</summary>
    public static Task<Socket> ConnectFromAsync(IPAddress from, int port) => LoopbackDial.ConnectFromAsync(from, port);

    /// <summary>True when the server has closed <paramref name="socket"/> (reset or FIN), without blocking.</summary>
    public static bool IsClosedByServer(Socket socket) => LoopbackDial.IsClosedByServer(socket);

    /// <summary>Each side holds every block of every feed with data the other holds (empty feeds are not stored: issue 20).</summary>
    public static bool InSync(MultifeedSet a, MultifeedSet b) => Holds(a, b) && Holds(b, a);

    private static bool Holds(MultifeedSet from, MultifeedSet to)
        => from.Feeds.Where(f => f.Length > 0).All(f => to.TryGet(f.KeyHex) is { } g && g.Length == f.Length && g.Contiguous == f.Length && f.Contiguous == f.Length);
}

/// <summary>What each hostile-peer test holds: a temp dir, a cabal key, and what it started (disposed in reverse).</summary>
public abstract class HostileTest : IAsyncLifetime
{
    protected TempDir Dir { get; } = new();
    protected byte[] CabalKey { get; } = Ed25519.NewKeyPair().PublicKey;
    protected AsyncDisposables Cleanup { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Cleanup.DisposeAsync();
        Dir.Dispose();
    }
}
