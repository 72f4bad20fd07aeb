// A HyperDHT 6 node (hyperdht index.js; spec/hyperswarm.md §3): a dht-rpc node plus the hyperdht
// commands. Split by concern:
//   HyperDht.cs          construction, start/stop, dispatch of incoming commands (this file)
//   HyperDht.Queries.cs  lookup, announce, unannounce, find-peer
//   HyperDht.Listen.cs   being reachable by key: the announcer that keeps our route on the closest nodes
// Every node relays PEER_HANDSHAKE/PEER_HOLEPUNCH (Router); once the DHT node becomes persistent it
// also stores announcements and routes and answers LOOKUP/FIND_PEER/ANNOUNCE/UNANNOUNCE and the
// mutable/immutable commands (PersistentStore). Ephemeral nodes answer those with UNKNOWN_COMMAND.
// Not here yet (they need UDX streams): connecting by public key and accepting connections —
// ConnectAsync and the handshake/holepunch servers plug in through IRouteServer and ClientHandshake.
using Cabal.Net.Dht;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.HyperDht;

public sealed partial class HyperDht : IAsyncDisposable
{
    private readonly HyperDhtOptions _options;
    private readonly ILogger _log;
    private readonly Random _random;
    private PersistentStore? _persistent;

    public HyperDht(HyperDhtOptions? options = null, Random? random = null)
    {
        _options = options ?? new HyperDhtOptions();
        _options.Validate();
        _log = _options.LoggerFactory?.CreateLogger("Cabal.Net.HyperDht") ?? NullLogger.Instance;
        _random = random ?? Random.Shared;
        Node = new DhtNode(_options.ToNodeOptions(), random);
        Router = new Router(_options.MaxRoutes, _options.RecordMaxAge);
        Node.RequestHandler = OnRequest;
        Node.BecamePersistent += () =>
        {
            _persistent ??= new PersistentStore(_options, Router, () => Node.Ephemeral ? null : Node.Table.Id, _random);
            HyperDhtLog.StorageEnabled(_log);
        };
        Node.Ticked += elapsed =>
        {
            Router.Sweep(elapsed);
            _persistent?.Sweep(elapsed);
        };
    }

    public HyperDhtOptions Options => _options;

    /// <summary>The dht-rpc node underneath.</summary>
    public DhtNode Node { get; }

    public Router Router { get; }

    /// <summary>Storage, once the node is persistent; null while ephemeral.</summary>
    public PersistentStore? Storage => _persistent;

    public Task StartAsync(CancellationToken cancellationToken = default) => Node.StartAsync(cancellationToken);

    /// <summary>Completes once bootstrapped (and, for Ephemeral = false, once the persistence check ran).</summary>
    public Task WaitReadyAsync(CancellationToken cancellationToken = default) => Node.WaitBootstrappedAsync(cancellationToken);

    private bool OnRequest(DhtIncomingRequest req)
    {
        switch (req.Command)
        {
            case HyperDhtCommand.PeerHandshake:
                Router.OnPeerHandshake(req);
                return true;
            case HyperDhtCommand.PeerHolepunch:
                Router.OnPeerHolepunch(req);
                return true;
        }
        if (_persistent is null || Node.Ephemeral) return false;
        return _persistent.OnRequest(req);
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync().ConfigureAwait(false);
        await Node.DisposeAsync().ConfigureAwait(false);
    }
}
