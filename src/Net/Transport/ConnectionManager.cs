// Keeps a process connected to its peers over TCP: accepts inbound connections, dials known addresses
// with bounded, backed-off retries, keeps at most one connection per remote identity (the Noise static
// key) and hands every connection to the application, which replicates on it. Knows nothing about
// feeds (beyond the one key a shared listener routes by): the application callback decides what runs
// on a connection.
//
// Structure (partial class by concern):
//   ConnectionManager.cs           lifecycle, connection tracking, slots, events, shutdown
//   ConnectionManager.Inbound.cs   accept loop, and connections routed from a SharedPeerListener
//   ConnectionManager.Reconnect.cs addresses to dial, Polly retry rounds, reconnecting after a drop
//   ConnectionManager.Dedup.cs     one connection per remote identity
using System.Collections.Concurrent;
using System.Net;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly ConnectionManagerOptions _options;
    private readonly ProtocolConnectionOptions _connectionOptions;
    private readonly Action<PeerConnection> _onConnection;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private readonly HashSet<PeerConnection> _live = [];
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private TcpPeerListener? _listener;
    private TaskCompletionSource? _slotFreed;
    private int _slots;
    private bool _started;
    private bool _stopping;
    private Task? _shutdown;

    /// <summary>
    /// A manager (not started). <paramref name="onConnection"/> runs for every connection, inbound or
    /// outbound, right before its handshake starts, so handlers and extensions registered there see the
    /// remote's first frames. For one from a <see cref="ConnectionManagerOptions.SharedListener"/> it
    /// runs after the handshake, on the receive loop while the remote's first Open (for the route key)
    /// is processed: opening that feed there accepts it, and the remote's next frames are seen too.
    /// The connection may still be closed after the handshake (duplicate, self, shutdown): watch
    /// <see cref="ProtocolConnection.Completion"/>. It must not block.
    /// </summary>
    public ConnectionManager(ConnectionManagerOptions? options, Action<PeerConnection> onConnection)
    {
        ArgumentNullException.ThrowIfNull(onConnection);
        _options = options ?? new ConnectionManagerOptions();
        _options.Validate();
        _onConnection = onConnection;
        _log = _options.LoggerFactory.CreateLogger<ConnectionManager>();
        var keyPair = _options.StaticKeyPair ?? NoiseKeyPair.Generate();
        var template = _options.ConnectionOptions ?? new ProtocolConnectionOptions();
        _connectionOptions = template with
        {
            StaticKeyPair = keyPair,
            LoggerFactory = ProtocolConnectionOptions.LoggerFactoryOr(template, _options.LoggerFactory),
            TimeProvider = ProtocolConnectionOptions.TimeProviderOr(template, _options.TimeProvider),
        };
        LocalStaticKey = keyPair.PublicKey;
        _retry = BuildRetryPipeline();
    }

    /// <summary>Our Noise static public key: the identity peers see on every connection from this manager.</summary>
    public byte[] LocalStaticKey { get; }

    /// <summary>The bound listening endpoint once started (the shared listener's, if any); null when not listening.</summary>
    public IPEndPoint? ListenEndPoint => _listener?.LocalEndPoint ?? (_started ? _options.SharedListener?.LocalEndPoint : null);

    /// <summary>The bound listening port once started (the shared listener's, if any; 0 when not listening).</summary>
    public int ListenPort => ListenEndPoint?.Port ?? 0;

    /// <summary>Raised once a connection has completed its handshake and survived the duplicate check.</summary>
    public event Action<PeerConnection>? ConnectionEstablished;

    /// <summary>Raised when a connection that was established has ended (see <see cref="PeerConnection.CloseReason"/>).</summary>
    public event Action<PeerConnection>? ConnectionClosed;

    /// <summary>Raised after every failed dial attempt.</summary>
    public event Action<DialFailure>? DialFailed;

    /// <summary>Established connections (one per remote identity).</summary>
    public IReadOnlyList<PeerConnection> Connections
    {
        get { lock (_gate) return [.. _byIdentity.Values]; }
    }

    public int ConnectionCount
    {
        get { lock (_gate) return _byIdentity.Count; }
    }

    /// <summary>
    /// Binds the listener (if configured) and starts dialling the addresses added so far. If the bind
    /// fails (<see cref="ListenFailedException"/>) nothing has started and Start may be called again.
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(ConnectionManager));
            if (_started) throw new InvalidOperationException("The connection manager has already been started.");
        }
        // Bound first, outside the lock: a port in use must fail before anything else happens.
        var listener = _options.ListenEndPoint is { } endPoint ? TcpPeerListener.Start(endPoint) : null;
        AddressEntry[] pending;
        lock (_gate)
        {
            if (_stopping || _started)
            {
                listener?.Dispose();
                if (_stopping) throw new ObjectDisposedException(nameof(ConnectionManager));
                throw new InvalidOperationException("The connection manager has already been started.");
            }
            _started = true;
            _listener = listener;
            pending = [.. _addresses.Values];
        }

        if (listener is not null)
        {
            TransportLog.Listening(_log, listener.LocalEndPoint);
            _ = Track(AcceptLoopAsync(listener, _cts.Token));
        }
        _options.SharedListener?.AddRoute(_options.RouteKey.Span, this);
        foreach (var entry in pending) StartAddressLoop(entry);
    }

    /// <summary>
    /// Stops listening and dialling, closes every connection and waits for all of it, for at most
    /// <see cref="ConnectionManagerOptions.ShutdownTimeout"/>. Idempotent.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate) _shutdown ??= ShutdownAsync();
        return new ValueTask(_shutdown);
    }

    private async Task ShutdownAsync()
    {
        PeerConnection[] live;
        AddressEntry[] addresses;
        lock (_gate)
        {
            _stopping = true;
            live = [.. _live];
            addresses = [.. _addresses.Values];
            _addresses.Clear();
        }

        _cts.Cancel();
        foreach (var entry in addresses) entry.Cts.Cancel();
        _listener?.Dispose();
        _options.SharedListener?.RemoveRoute(_options.RouteKey.Span, this);

        var closing = new List<Task>();
        foreach (var peer in live)
        {
            peer.SetCloseReason(PeerCloseReason.Shutdown);
            closing.Add(peer.Connection.DisposeAsync().AsTask());
        }
        closing.AddRange(_running.Keys);

        try
        {
            // A bound on how long disposal holds up the caller: wall time, whatever clock the options use.
            await Task.WhenAll(closing).WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            TransportLog.ShutdownTimedOut(_log, _options.ShutdownTimeout);
            foreach (var peer in live) peer.Connection.Abort();
        }
        catch (Exception e)
        {
            // Loops catch their own failures; anything here is a bug, but shutdown must still finish.
            TransportLog.CallbackFailed(_log, e);
        }
    }

    /// <summary>
    /// Runs a new connection (slot already reserved) through the application callback and the
    /// handshake. True if the handshake completed; the connection may still have been closed as a
    /// duplicate. From here on, the connection's monitor releases the slot.
    /// </summary>
    private async Task<bool> RunHandshakeAsync(PeerConnection peer, CancellationToken timeout, CancellationToken ct)
    {
        if (!TryTrack(peer))
        {
            // Shutdown began before we could track it: nobody else will close it.
            peer.SetCloseReason(PeerCloseReason.Shutdown);
            await peer.Connection.DisposeAsync().ConfigureAwait(false);
            ReleaseSlot();
            return false;
        }

        InvokeSafely(() => _onConnection(peer));
        peer.Connection.Start();

        bool ok;
        try
        {
            ok = await peer.Connection.HandshakeCompleted.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ok = false;
        }

        if (!ok)
        {
            peer.SetCloseReason(ct.IsCancellationRequested ? PeerCloseReason.Shutdown : PeerCloseReason.HandshakeFailed);
            TransportLog.HandshakeFailed(_log, peer.RemoteEndPoint, peer.Connection.Error);
            peer.Connection.Abort();
            return false;
        }

        Register(peer);
        return true;
    }

    private bool TryTrack(PeerConnection peer)
    {
        lock (_gate)
        {
            if (_stopping) return false;
            _live.Add(peer);
            peer.Monitor = Track(MonitorAsync(peer));
            return true;
        }
    }

    /// <summary>Waits for a connection to end, then forgets it and frees its slot.</summary>
    private async Task MonitorAsync(PeerConnection peer)
    {
        // Completion never faults; yielding first keeps this off the caller's stack.
        await Task.Yield();
        await peer.Connection.Completion.ConfigureAwait(false);
        bool wasEstablished;
        lock (_gate)
        {
            _live.Remove(peer);
            if (peer.IdentityKey is { } key && _byIdentity.TryGetValue(key, out var current) && current == peer)
                _byIdentity.Remove(key);
            wasEstablished = peer.WasEstablished;
            peer.SetCloseReason(_stopping ? PeerCloseReason.Shutdown : PeerCloseReason.Ended);
        }
        ReleaseSlot();
        if (wasEstablished)
        {
            TransportLog.Closed(_log, peer, peer.CloseReason);
            Raise(ConnectionClosed, peer);
        }
    }

    private bool TryReserveSlot()
    {
        lock (_gate)
        {
            if (_slots >= _options.MaxConnections) return false;
            _slots++;
            return true;
        }
    }

    /// <summary>Dials waiting for a free connection slot right now (tests watch it instead of sleeping).</summary>
    internal int DialsWaitingForSlot => Volatile.Read(ref _waitingForSlot);

    private int _waitingForSlot;

    private async Task WaitForSlotAsync(CancellationToken ct)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (_slots < _options.MaxConnections)
                {
                    _slots++;
                    return;
                }
                _slotFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                freed = _slotFreed.Task;
            }
            Interlocked.Increment(ref _waitingForSlot);
            try { await freed.WaitAsync(ct).ConfigureAwait(false); }
            finally { Interlocked.Decrement(ref _waitingForSlot); }
        }
    }

    private void ReleaseSlot()
    {
        TaskCompletionSource? freed;
        lock (_gate)
        {
            _slots--;
            freed = _slotFreed;
            _slotFreed = null;
        }
        freed?.TrySetResult();
    }

    /// <summary>Remembers a background task until it finishes, so shutdown can wait for it.</summary>
    private Task Track(Task task)
    {
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private void Raise<T>(Action<T>? handler, T arg)
    {
        if (handler is not null) InvokeSafely(() => handler(arg));
    }

    private void InvokeSafely(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            TransportLog.CallbackFailed(_log, e);
        }
    }
}

/// <summary>A failed dial attempt: the address, the attempt number (counted over the manager's life),
/// the error, and the delay before the next try (null when this round of attempts is over).</summary>
public sealed record DialFailure(PeerAddress Address, int Attempt, Exception Error, TimeSpan? NextDelay);
