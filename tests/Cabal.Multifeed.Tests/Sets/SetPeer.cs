using System.IO.Pipelines;
using System.Text;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Multifeed.Storage;
using Cabal.Net;
using Cabal.Tests;

namespace Cabal.Multifeed.Tests.Sets;

/// <summary>One C# peer for tests: a store, a replicator and the set of one cabal.</summary>
internal sealed class SetPeer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private SetPeer(FeedStore store, Replicator replicator, MultifeedSet set) { Store = store; Replicator = replicator; Set = set; }

    public FeedStore Store { get; }
    public Replicator Replicator { get; }
    public MultifeedSet Set { get; }

    public static async Task<SetPeer> OpenAsync(TempDir dir, string name, byte[] cabalKey, MultifeedOptions? options = null)
    {
        var store = FeedStore.Open(dir.Sub(name), new FeedStoreOptions { Durable = false });
        var replicator = new Replicator(store);
        var set = await MultifeedSet.OpenAsync(store, replicator, cabalKey, options);
        return new SetPeer(store, replicator, set);
    }

    public async Task SayAsync(params string[] texts)
    {
        foreach (var t in texts) await Set.LocalFeed.AppendAsync(Encoding.UTF8.GetBytes(t));
    }

    public async ValueTask DisposeAsync()
    {
        await Set.DisposeAsync();
        await Replicator.DisposeAsync();
        await Store.DisposeAsync();
    }

    /// <summary>Connects two peers over in-memory pipes; <paramref name="a"/> initiates.</summary>
    public static (MultifeedSession A, MultifeedSession B) Connect(SetPeer a, SetPeer b)
    {
        var (ca, cb) = ConnectionPair();
        return (a.Set.Replicate(ca), b.Set.Replicate(cb));
    }

    public static (ProtocolConnection A, ProtocolConnection B) ConnectionPair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        var a = new ProtocolConnection(new Duplex(ba.Reader, ab.Writer), isInitiator: true);
        var b = new ProtocolConnection(new Duplex(ab.Reader, ba.Writer), isInitiator: false);
        return (a, b);
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>True when both sets hold the same feeds, each at the same length with every block.</summary>
    public static bool InSync(params SetPeer[] peers)
    {
        var first = peers[0].Set.Feeds.ToDictionary(f => f.KeyHex, f => f.Length);
        foreach (var p in peers)
        {
            var feeds = p.Set.Feeds;
            if (feeds.Count != first.Count) return false;
            foreach (var f in feeds)
                if (!first.TryGetValue(f.KeyHex, out var len) || f.Length != len || f.Contiguous != len) return false;
        }
        return true;
    }

    public static Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null) => Poll.UntilAsync(condition, what, timeout ?? Timeout);
}
