// A HyperDHT 6 node (hyperdht index.js; spec/hyperswarm.md §3): a dht-rpc node plus the hyperdht
// commands. Split by concern:
//   HyperDht.cs          construction, start/stop, dispatch of incoming commands (this file)
//   HyperDht.Queries.cs  lookup, announce, unannounce, find-peer
//   HyperDht.Listen.cs   being reachable by key: servers, the announcer that keeps our route on the closest nodes
//   HyperDht.Handshake.cs  PEER_HANDSHAKE through relays found by FIND_PEER
//   HyperDht.Connect.cs  connecting by public key: handshake, path selection, holepunching, secret-stream
// Every node relays PEER_HANDSHAKE/PEER_HOLEPUNCH (Router); once the DHT node becomes persistent it
// also stores announcements and routes and answers LOOKUP/FIND_PEER/ANNOUNCE/UNANNOUNCE and the
// mutable/immutable commands (PersistentStore). Ephemeral nodes answer those with UNKNOWN_COMMAND.
// Sockets: unless a test substitutes its own, every socket (dht-rpc server and client sockets, holepunch
// sockets) is a UdxSocket of the node's one Udx instance, so connection streams share them (§0).
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht.Transport;
using Cabal.Net.Udx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using UdxInstance = Cabal.Net.Udx.Udx;

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
        _log = _options.LoggerFactory.CreateLogger<HyperDht>();
        _random = random ?? Random.Shared;
        var nodeOptions = _options.ToNodeOptions();
        if (nodeOptions.SocketFactory is null)
        {
            Udx = new UdxInstance(_options.Udx ?? new UdxOptions { LoggerFactory = _options.LoggerFactory });
            nodeOptions = nodeOptions with { SocketFactory = new UdxDatagramSocketFactory(Udx) };
        }
        DefaultKeyPair = _options.KeyPair ?? HyperDhtKeys.KeyPair();
        RandomPunches = new RandomPunchGate(_options.Time, _options.RandomPunchInterval);
        Node = new DhtNode(nodeOptions, random);
        Router = new Router(_options.MaxRoutes, _options.RecordMaxAge);
        Node.RequestHandler = OnRequest;
        Admission = CreateAdmission(out _admissionSweep);
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

    /// <summary>The UDX instance every socket and connection stream of this node belongs to; null when the options substituted the sockets.</summary>
    public UdxInstance? Udx { get; }

    /// <summary>The key pair connections use when a call names none.</summary>
    public KeyPair DefaultKeyPair { get; }

    public PunchStats PunchStats { get; } = new();

    internal RandomPunchGate RandomPunches { get; }

    public Task StartAsync(CancellationToken cancellationToken = default) => Node.StartAsync(cancellationToken);

    /// <summary>Completes once bootstrapped (and, for Ephemeral = false, once the persistence check ran).</summary>
    public Task WaitReadyAsync(CancellationToken cancellationToken = default) => Node.WaitBootstrappedAsync(cancellationToken);

    /// <summary>
    /// Completes once queries can start (bootstrap nodes resolved): hyperswarm announces and looks up
    /// beside the bootstrap query rather than after it.
    /// </summary>
    public Task WaitQueryableAsync(CancellationToken cancellationToken = default) => Node.WaitBootstrapResolvedAsync(cancellationToken);

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
        _admissionSweep?.Dispose();
        await Node.DisposeAsync().ConfigureAwait(false);
        if (Udx is not null) await Udx.DisposeAsync().ConfigureAwait(false);
    }
}
