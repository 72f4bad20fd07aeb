// One TCP port for several connection managers, e.g. one per cabal in a process that seeds many.
// A hypercore-protocol connection says what it is for only in its first Open, after the Noise
// handshake: the remote opens the feed it wants first (multifeed opens the cabal key, §2.3 of
// spec/cabal.md). So the listener runs the handshake itself, and when the remote's first Open
// arrives it hands the connection to the manager whose route key has that discovery key. The
// hand-over runs on the connection's receive loop while that Open is being processed, so the
// manager's callback can still accept the channel and register extensions before the remote's next
// frame: from the remote's side nothing differs from a listener of its own.
using System.Collections.Concurrent;
using System.Net;
using Cabal.Net.Admission;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Transport;

public sealed class SharedPeerListener : IAsyncDisposable
{
    private const int Waiting = 0, Routed = 1, Dropped = 2;

    private readonly Lock _gate = new();
    private readonly SharedPeerListenerOptions _options;
    private readonly ProtocolConnectionOptions _connectionOptions;
    private readonly ILogger _log;
    private readonly TcpPeerListener _listener;
    private readonly AdmissionGate? _admission;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<Key32, ConnectionManager> _routes = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly ConcurrentDictionary<PeerConnection, byte> _pending = new();
    private int _pendingCount;
    private long _unrouted;
    private Task? _shutdown;

    private SharedPeerListener(SharedPeerListenerOptions options, TcpPeerListener listener)
    {
        _options = options;
        _listener = listener;
        _log = options.LoggerFactory.CreateLogger<SharedPeerListener>();
        var template = options.ConnectionOptions ?? new ProtocolConnectionOptions();
        _connectionOptions = template with { StaticKeyPair = options.StaticKeyPair, LoggerFactory = ProtocolConnectionOptions.LoggerFactoryOr(template, options.LoggerFactory) };
        if (options.SharedAdmission is { } shared) _admission = new AdmissionGate(shared);
        else if (options.Admission is { } admission)
            _admission = new AdmissionGate(new AdmissionControl(admission.WithDefaults(template.TimeProvider, options.LoggerFactory)));
    }

    /// <summary>Binds the port and starts accepting. Connections wait for a route to be added for their first Open.</summary>
    public static SharedPeerListener Start(SharedPeerListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var listener = new SharedPeerListener(options, TcpPeerListener.Start(options.EndPoint));
        TransportLog.Listening(listener._log, listener.LocalEndPoint);
        listener.Track(listener.AcceptLoopAsync(listener._cts.Token));
        if (listener._admission is { } gate) listener.Track(gate.SweepAsync(listener._cts.Token));
        return listener;
    }

    /// <summary>The bound endpoint (with the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    public int Port => _listener.Port;

    /// <summary>The static public key every accepted connection uses.</summary>
    public byte[] StaticPublicKey => _options.StaticKeyPair.PublicKey;

    /// <summary>Accepted connections still handshaking or waiting for their first Open.</summary>
    public int PendingCount => Volatile.Read(ref _pendingCount);

    /// <summary>The admission control of accepted connections (null when off); routed ones count as established.</summary>
    public AdmissionControl? Admission => _admission?.Control;

    /// <summary>Connections closed because their first Open matched no route (or none came in time).</summary>
    public long UnroutedCount => Interlocked.Read(ref _unrouted);

    internal void AddRoute(ReadOnlySpan<byte> routeKey, ConnectionManager manager)
    {
        if (!StaticPublicKey.AsSpan().SequenceEqual(manager.LocalStaticKey))
            throw new ArgumentException("A manager routed to a shared listener must use the listener's static key pair.");
        var key = new Key32(HypercoreCrypto.DiscoveryKey(routeKey));
        if (!_routes.TryAdd(key, manager)) throw new InvalidOperationException($"Another manager already takes connections for discovery key {key}.");
    }

    internal void RemoveRoute(ReadOnlySpan<byte> routeKey, ConnectionManager manager)
        => _routes.TryRemove(new KeyValuePair<Key32, ConnectionManager>(new Key32(HypercoreCrypto.DiscoveryKey(routeKey)), manager));

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (await _listener.AcceptNextAsync(_log, ct).ConfigureAwait(false) is { } socket)
        {
            AdmissionTicket? ticket = null;
            if (_admission is not null && (ticket = _admission.TryAdmit(socket)) is null) continue;
            if (Interlocked.Increment(ref _pendingCount) > _options.MaxPending)
            {
                Interlocked.Decrement(ref _pendingCount);
                TransportLog.RefusedAtCapacity(_log, Internal.TcpSockets.RemoteEndPointOf(socket), _options.MaxPending);
                socket.Dispose();
                if (ticket is not null) _admission!.Abandon(ticket);
                continue;
            }
            if (TcpPeerListener.TryWrapInbound(socket, _connectionOptions, _log) is not { } peer)
            {
                Interlocked.Decrement(ref _pendingCount);
                if (ticket is not null) _admission!.Abandon(ticket);
                continue;
            }
            if (ticket is not null) _admission!.Attach(ticket, peer.Connection);
            Track(RouteAsync(peer, ticket, ct));
        }
    }

    /// <summary>Handshakes, then waits for the remote's first Open and hands the connection over.</summary>
    private async Task RouteAsync(PeerConnection peer, AdmissionTicket? ticket, CancellationToken ct)
    {
        var state = Waiting;
        var routed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = peer.Connection;
        void OnFirstOpen(object? sender, DiscoveryKeyEventArgs e)
        {
            connection.DiscoveryKey -= OnFirstOpen;
            if (Interlocked.CompareExchange(ref state, Routed, Waiting) != Waiting) return;
            routed.TrySetResult();
            var key = e.DiscoveryKey.Length == Key32.Size ? new Key32(e.DiscoveryKey) : default;
            if (_routes.TryGetValue(key, out var manager))
            {
                if (ticket is not null && !_admission!.Control.TryEstablish(ticket))
                {
                    connection.Abort(); // its address or prefix holds its share of established connections (logged)
                    return;
                }
                if (!manager.AdoptRouted(peer)) connection.Abort(); // at capacity or shutting down: it logged why
                return;
            }
            Interlocked.Increment(ref _unrouted);
            TransportLog.Unrouted(_log, peer.RemoteEndPoint, key);
            connection.RejectChannel(e.DiscoveryKey);
            Track(connection.DisposeAsync().AsTask()); // flushes the Close, so the remote learns why
        }

        _pending.TryAdd(peer, 0);
        try
        {
            connection.DiscoveryKey += OnFirstOpen;
            connection.Start();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.RouteTimeout);
            try
            {
                await Task.WhenAny(routed.Task, connection.Completion).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { }
            if (Interlocked.CompareExchange(ref state, Dropped, Waiting) == Waiting)
            {
                connection.DiscoveryKey -= OnFirstOpen;
                if (!ct.IsCancellationRequested && !connection.IsEnded)
                {
                    Interlocked.Increment(ref _unrouted);
                    TransportLog.RouteTimedOut(_log, peer.RemoteEndPoint, _options.RouteTimeout, connection.HandshakeCompleted is { IsCompletedSuccessfully: true, Result: true });
                }
                connection.Abort();
            }
        }
        finally
        {
            _pending.TryRemove(peer, out _);
            Interlocked.Decrement(ref _pendingCount);
        }
    }

    /// <summary>Stops accepting and closes connections not routed yet; routed ones belong to their managers. Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate) _shutdown ??= ShutdownAsync();
        return new ValueTask(_shutdown);
    }

    private async Task ShutdownAsync()
    {
        _cts.Cancel();
        _listener.Dispose();
        foreach (var peer in _pending.Keys) peer.Connection.Abort();
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            TransportLog.ShutdownTimedOut(_log, _options.ShutdownTimeout);
        }
        catch (Exception e)
        {
            TransportLog.CallbackFailed(_log, e); // loops catch their own failures; shutdown must still finish
        }
    }

    private void Track(Task task)
    {
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
