// A dht-rpc 6 node (spec/hyperswarm.md §2; node_modules/dht-rpc/index.js, lib/io.js), wire-compatible
// with the JS one. Split by concern:
//   DhtNode.cs            state, construction, start/stop, public properties and counters (this file)
//   DhtNode.Io.cs         receiving datagrams: decode, token check, matching responses to requests
//   DhtNode.Requests.cs   our requests: tids, sending, retries, timeouts, the send window
//   DhtNode.Replies.cs    answering: reply/error/relay encoding, the internal commands
//   DhtNode.Table.cs      the routing table: adding nodes from traffic, pings, eviction of silent nodes
//   DhtNode.Network.cs    bootstrap, NAT sampling, the firewall check, becoming persistent, ticks
//   DhtNode.Api.cs        async API: ping, request, queries
// The node owns no sockets of its own making: it binds two through an IDatagramSocketFactory (real UDP
// by default) — a server socket (requests to us; our requests once we are known to be reachable) and a
// client socket (our requests while firewalled), as dht-rpc does. All state is guarded by one lock;
// callbacks into queries and request handlers run under it, and task completions run asynchronously.
// Timers are checked every PollInterval against the injected TimeProvider.
using System.Net;
using Cabal.Net.Compact;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly DhtNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Random _random;
    private readonly IDatagramSocketFactory _sockets;
    private readonly CancellationTokenSource _stop = new();
    private IDatagramSocket? _server;
    private IDatagramSocket? _client;
    private Task? _pollLoop;
    private Task? _bootstrapping;
    private readonly TaskCompletionSource _bootstrapResolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    /// <param name="random">Randomness for tids, table ids and jitter; tests pass a seeded one.</param>
    public DhtNode(DhtNodeOptions? options = null, Random? random = null)
    {
        _options = options ?? new DhtNodeOptions();
        _options.Validate();
        _time = _options.Time;
        _log = _options.LoggerFactory.CreateLogger<DhtNode>();
        _random = random ?? Random.Shared;
        _sockets = _options.SocketFactory ?? new Internal.UdpDatagramSocketFactory(_log);

        var tableId = new byte[NodeId.Size];
        _random.NextBytes(tableId);
        Table = NewTable(tableId);
        Firewalled = _options.Firewalled && !_options.IsBootstrapNode;
        _adaptive = _options.Ephemeral is null && !_options.IsBootstrapNode;
        _forcePersistent = _options.Ephemeral == false || _options.IsBootstrapNode;
        _quickFirewall = _options.QuickFirewall;
        _tid = (ushort)_random.Next(65536);
        _tokens = new WriteTokens();
        _congestion = new CongestionWindow(_options.MaxWindow);
        _timeouts = new AdaptiveTimeouts(_options.RequestTimeout, _options.MinRequestTimeout, _options.MaxRequestTimeout, _options.AdaptiveTimeouts, _random);
        _rateLimiter = new HostRateLimiter(_options.RequestsPerSecondPerHost, _options.RequestBurstPerHost);
        _tick = RandomOffset(100);
        _refreshTicks = RandomOffset(RefreshTicks);
        _stableTicks = _adaptive ? StableTicks : 0;
        foreach (var b in _options.Bootstrap) _bootstrapNodes.Add(BootstrapNode.Parse(b));
    }

    public DhtNodeOptions Options => _options;

    public RoutingTable Table { get; private set; }

    /// <summary>Our node id while persistent, else null (dht-rpc `dht.id`).</summary>
    public byte[]? Id { get { lock (_gate) return Ephemeral ? null : Table.Id; } }

    /// <summary>True until a firewall check shows unsolicited datagrams reach our server socket.</summary>
    public bool Firewalled { get; private set; }

    /// <summary>True while we neither send an id nor store data for others.</summary>
    public bool Ephemeral { get; private set; } = true;

    /// <summary>Set once the bootstrap query (and, if asked, the persistence check) is done.</summary>
    public bool Bootstrapped { get; private set; }

    /// <summary>The socket requests go out of: client while firewalled, else server (dht-rpc `dht.socket`).</summary>
    public IDatagramSocket Socket => (Firewalled ? _client : _server) ?? throw new InvalidOperationException("The node is not started.");

    public IDatagramSocket ServerSocket => _server ?? throw new InvalidOperationException("The node is not started.");

    public IDatagramSocket ClientSocket => _client ?? throw new InvalidOperationException("The node is not started.");

    /// <summary>Our public address as sampled from peers, if consistent (dht-rpc host/port).</summary>
    public Ipv4EndPoint? SampledAddress { get { lock (_gate) return _nat.EndPoint; } }

    /// <summary>True when the sampled host is stable but the port is not (a randomising NAT).</summary>
    public bool Randomized { get { lock (_gate) return _nat.Host is not null && _nat.Port == 0; } }

    /// <summary>
    /// Our reachable public address: only when not firewalled and the sampled port is our server
    /// socket's own port (dht-rpc remoteAddress()). hyperdht calls a node with one OPEN.
    /// </summary>
    public Ipv4EndPoint? RemoteAddress
    {
        get
        {
            lock (_gate)
            {
                if (_nat.Host is not { } host || _nat.Port == 0 || Firewalled || _server is null) return null;
                return _nat.Port == _serverLocal.Port ? new Ipv4EndPoint(host, _nat.Port) : null;
            }
        }
    }

    public Ipv4EndPoint ServerAddress => _serverLocal;

    public DhtNodeStats Stats { get; } = new();

    public ILogger Logger => _log;

    public TimeProvider Time => _time;

    /// <summary>
    /// Handles non-internal commands (hyperdht's). Runs under the node's lock on a receive loop: it
    /// must answer or hand work off quickly. Return false to answer UNKNOWN_COMMAND.
    /// </summary>
    public Func<DhtIncomingRequest, bool>? RequestHandler { get; set; }

    /// <summary>Raised (under the lock) once when the node becomes persistent.</summary>
    public event Action? BecamePersistent;

    /// <summary>Raised (under the lock) once bootstrapping is done.</summary>
    public event Action? Ready;

    /// <summary>Raised (under the lock) on every tick with the time since the previous one (caches sweep on it).</summary>
    public event Action<TimeSpan>? Ticked;

    /// <summary>Binds the sockets, starts the timers and bootstraps in the background.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_server is not null) throw new InvalidOperationException("Already started.");
            BindSockets();
            // Bootstrap nodes given as addresses are known at once: queries started before the bootstrap
            // query has run (a swarm joining straight away, as hyperswarm does) start from them.
            if (_bootstrapNodes.All(b => b.Address is not null)) MarkBootstrapResolved(_bootstrapNodes.Select(b => new Ipv4EndPoint(b.Address!.Value, (ushort)b.Port)));
        }
        _pollLoop = Task.Run(PollLoopAsync);
        _bootstrapping = Task.Run(() => BootstrapAsync(_stop.Token));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Completes once the bootstrap nodes are resolved (at once for addresses), so a query started now
    /// has somewhere to begin even with an empty routing table (dht-rpc's query does the same wait). Does
    /// not wait for the bootstrap query: lookups and announces may run beside it.
    /// </summary>
    public async Task WaitBootstrapResolvedAsync(CancellationToken cancellationToken = default)
    {
        if (_bootstrapping is null) throw new InvalidOperationException("The node is not started.");
        await _bootstrapResolved.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when bootstrapping is done (dht-rpc fullyBootstrapped()).</summary>
    public async Task WaitBootstrappedAsync(CancellationToken cancellationToken = default)
    {
        var task = _bootstrapping ?? throw new InvalidOperationException("The node is not started.");
        await task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void BindSockets()
    {
        _server = BindServer();
        try
        {
            _client = _sockets.Bind(new IPEndPoint(_options.Host, 0));
        }
        catch
        {
            _server.Dispose();
            _server = null;
            throw;
        }
        _serverLocal = Ipv4EndPoint.FromIPEndPoint(_server.LocalEndPoint);
        _clientLocal = Ipv4EndPoint.FromIPEndPoint(_client.LocalEndPoint);
        var server = _server;
        var client = _client;
        _server.OnDatagram = (data, from) => OnDatagram(server, data.Span, from);
        _client.OnDatagram = (data, from) => OnDatagram(client, data.Span, from);
        if (_options.IsBootstrapNode) _nat.Add(_serverLocal);
        var now = _time.GetTimestamp();
        _nextTickAt = now + Ticks(_options.TickInterval);
        _nextDrainAt = now + Ticks(DrainInterval);
        _lastTickAt = now;
        DhtLog.Bound(_log, _serverLocal.ToString(), _clientLocal.ToString());
    }

    private IDatagramSocket BindServer()
    {
        if (_options.Port != 0)
        {
            for (var p = _options.Port; p < _options.Port + _options.PortRange && p <= 65535; p++)
            {
                try { return _sockets.Bind(new IPEndPoint(_options.Host, p)); }
                catch (System.Net.Sockets.SocketException) { }
            }
        }
        return _sockets.Bind(new IPEndPoint(_options.Host, 0));
    }

    private async Task PollLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) Poll();
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var q in _queries.ToList()) q.Cancel(new ObjectDisposedException(nameof(DhtNode)));
            foreach (var p in _inflight.Values.ToList()) Destroy(p);
            _deferred.Clear();
        }
        _stop.Cancel();
        if (_pollLoop is not null) await _pollLoop.ConfigureAwait(false);
        if (_bootstrapping is not null)
        {
            try { await _bootstrapping.ConfigureAwait(false); }
            catch (Exception) { }
        }
        _server?.Dispose();
        _client?.Dispose();
        _stop.Dispose();
    }

    private RoutingTable NewTable(byte[] id) => new(id, _options.K, _options.MaxNodesPerHost, _options.LimitLoopbackHosts);

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private long NowMs => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    private int RandomOffset(int n) => n - (int)(_random.NextDouble() * 0.5 * n);

    private void SafeInvoke(Action action)
    {
        try { action(); }
        catch (Exception e) { DhtLog.CallbackFailed(_log, e); }
    }
}

/// <summary>What a node has seen and dropped; all counts only grow.</summary>
public sealed class DhtNodeStats
{
    internal long received, sent, malformed, tooShort, rateLimited, unknownType, unmatched, wrongSender,
        badIds, invalidTokens, requests, responses, timeouts, retries, handlerFaults, sendFailures;

    public long DatagramsReceived => Interlocked.Read(ref received);
    public long DatagramsSent => Interlocked.Read(ref sent);
    public long DroppedMalformed => Interlocked.Read(ref malformed);
    public long DroppedTooShort => Interlocked.Read(ref tooShort);
    public long DroppedRateLimited => Interlocked.Read(ref rateLimited);
    public long DroppedUnknownType => Interlocked.Read(ref unknownType);
    public long ResponsesUnmatched => Interlocked.Read(ref unmatched);
    public long ResponsesFromWrongSender => Interlocked.Read(ref wrongSender);
    public long IdsNotMatchingSource => Interlocked.Read(ref badIds);
    public long InvalidTokens => Interlocked.Read(ref invalidTokens);
    public long RequestsReceived => Interlocked.Read(ref requests);
    public long ResponsesReceived => Interlocked.Read(ref responses);
    public long Timeouts => Interlocked.Read(ref timeouts);
    public long Retransmissions => Interlocked.Read(ref retries);
    public long HandlerFaults => Interlocked.Read(ref handlerFaults);
    public long SendFailures => Interlocked.Read(ref sendFailures);

    /// <summary>Every datagram dropped as bad input.</summary>
    public long Dropped => DroppedMalformed + DroppedTooShort + DroppedRateLimited + DroppedUnknownType + ResponsesUnmatched + ResponsesFromWrongSender;
}
