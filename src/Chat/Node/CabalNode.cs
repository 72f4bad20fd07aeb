// One running instance of the program: the FeedStore holding every cabal's feeds, replication, the
// chat cores, and (once started) the network. Commands, the bot and the terminal client all go
// through it, so they behave the same way.
using Cabal.Chat.Cli;
using Cabal.Multifeed;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Chat;

public sealed partial class CabalNode : IAsyncDisposable
{
    // Set when OpenAsync made the logger factory: then it is ours to dispose, which also flushes the
    // console logger's queue (its last lines would otherwise be lost at exit).
    private readonly ILoggerFactory? _ownedLoggerFactory;

    private CabalNode(DataPaths paths, FeedStore store, ILoggerFactory loggerFactory, bool ownsLoggerFactory)
    {
        _ownedLoggerFactory = ownsLoggerFactory ? loggerFactory : null;
        Paths = paths;
        Store = store;
        LoggerFactory = loggerFactory;
        Logger = loggerFactory.CreateLogger("Cabal.Chat.Node");
        Replicator = new Replicator(store, loggerFactory: loggerFactory);
        Client = new CabalClient(store, new CabalOptions { LoggerFactory = loggerFactory });
    }

    public DataPaths Paths { get; }
    public FeedStore Store { get; }
    public Replicator Replicator { get; }
    public CabalClient Client { get; }
    public ILoggerFactory LoggerFactory { get; }
    internal ILogger Logger { get; }

    /// <summary>Opens the data directory's store. Logging goes to stderr at warning level unless given.</summary>
    public static Task<CabalNode> OpenAsync(DataPaths paths, CancellationToken cancellationToken = default, ILoggerFactory? loggerFactory = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var owned = loggerFactory is null;
        loggerFactory ??= DefaultLogging();
        try
        {
            Directory.CreateDirectory(paths.Root);
            var store = FeedStore.Open(paths.Store, new FeedStoreOptions { LoggerFactory = loggerFactory });
            return Task.FromResult(new CabalNode(paths, store, loggerFactory, owned));
        }
        catch when (owned)
        {
            loggerFactory.Dispose();
            throw;
        }
    }

    private static ILoggerFactory DefaultLogging()
    {
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("CABAL_LOG"), true, out var l) ? l : LogLevel.Warning;
        // stdout carries program output (URLs, messages, JSON events); logs always go to stderr.
        return Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
    }

    /// <summary>Opens a cabal (creating its local writer on first use) and joins it on the network if it is running.</summary>
    public async Task<CabalCore> OpenCabalAsync(CabalUrl url, CancellationToken cancellationToken = default)
    {
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
        return new SyncStatus(ConnectedPeerCount(cabal), feeds, held, known, cabal.Statistics.EntriesIndexed);
    }

    public async ValueTask DisposeAsync()
    {
        await StopNetworkAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
        await Replicator.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        _ownedLoggerFactory?.Dispose();
    }
}
