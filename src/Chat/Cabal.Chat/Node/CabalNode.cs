// One running node: the FeedStore holding every cabal's feeds, replication, the chat cores, and
// (once started) the network. The program's commands, the seeding bot and the terminal client all
// go through it, so they behave the same way.
//
//   CabalNode.cs          opening the data directory, opening cabals, sync status
//   CabalNode.Network.cs  the shared listener, one connection manager per cabal, LAN discovery, peers
//   CabalNode.Swarm.cs    the HyperDHT and one hyperswarm per cabal (cabal-core swarm.js), DHT state
//
// The node is a library piece: it takes its settings and its logger factory from NodeOptions and
// NetworkOptions, reads no environment variables, writes nothing to the console, and reports bad
// arguments as ArgumentException (the program maps them to exit codes).
using Cabal.Chat.Keys;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;

namespace Cabal.Chat.Node;

public sealed partial class CabalNode : IAsyncDisposable
{
    private CabalNode(NodeOptions options, FeedStore store, FileStream nodeLock)
    {
        Options = options;
        Store = store;
        _nodeLock = nodeLock;
        _logger = options.LoggerFactory.CreateLogger<CabalNode>();
        Replicator = new Replicator(store, new ReplicationOptions { LoggerFactory = options.LoggerFactory });
        Client = new CabalClient(store, new CabalOptions { LoggerFactory = options.LoggerFactory });
    }

    private readonly ILogger _logger;
    private readonly FileStream _nodeLock;

    public NodeOptions Options { get; }
    public DataPaths Paths => Options.Paths;
    public FeedStore Store { get; }
    public Replicator Replicator { get; }
    public CabalClient Client { get; }

    /// <summary>Opens (creating if needed) the data directory's feed store.</summary>
    public static Task<CabalNode> OpenAsync(NodeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Paths, nameof(options.Paths));
        ArgumentNullException.ThrowIfNull(options.LoggerFactory, nameof(options.LoggerFactory));
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(options.Paths.Root);
        var nodeLock = DataDirectoryBusyException.Lock(options.Paths, options.Exclusive);
        try
        {
            var store = FeedStore.Open(options.Paths.Store, new FeedStoreOptions { LoggerFactory = options.LoggerFactory });
            return Task.FromResult(new CabalNode(options, store, nodeLock));
        }
        catch
        {
            nodeLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a cabal and joins it on the network if that is running. The cabal's core creates its
    /// local writer on first use; the multifeed set opened after it adopts that writer.
    /// </summary>
    public async Task<CabalCore> OpenCabalAsync(CabalUrl url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        var core = await Client.OpenAsync(url, cancellationToken).ConfigureAwait(false);
        await OnCabalOpenedAsync(core, cancellationToken).ConfigureAwait(false);
        return core;
    }

    /// <summary>The feeds of a cabal held in the store.</summary>
    public IEnumerable<Feed> FeedsOf(CabalCore cabal) => Store.List(cabal.Url.Key);

    /// <summary>Blocks held against the longest length any connected peer announced, per feed.</summary>
    public SyncStatus SyncStatus(CabalCore cabal)
    {
        ulong held = 0, known = 0;
        var feeds = 0;
        foreach (var f in FeedsOf(cabal))
        {
            feeds++;
            var have = f.DownloadedCount();
            held += have;
            var remote = Replicator.Hub(f).RemoteLength;
            known += Math.Max(Math.Max(have, f.Length), remote);
        }
        // Indexed in total, not since this open: after a restart the views still hold everything.
        return new SyncStatus(ConnectedPeerCount(cabal), feeds, held, known, cabal.IndexedEntries);
    }

    public async ValueTask DisposeAsync()
    {
        await StopNetworkAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
        await Replicator.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        await _nodeLock.DisposeAsync().ConfigureAwait(false);
    }
}
