// The server's side of a connection on UDX (hyperdht lib/server.js _addHandshake/_onpeerholepunch;
// spec/hyperswarm.md §3.6, §3.8, §3.10). For each accepted handshake:
//   * a UDX stream is created before the reply (its id goes in our payload), unconnected; the first packet
//     for it, from any address on any of our sockets, fixes the path (its firewall hook), then it carries
//     the secret-stream started from the Noise result;
//   * how the client gets through:
//       client OPEN, or the client sent to us directly  → connect to it at once (we send first);
//       same public host and the client listed a local address on our network → a holepuncher is set up
//         (in case) and we wait for the client's LAN packet;
//       we are OPEN                                      → wait for the client;
//       otherwise                                        → a holepuncher; the reply leaves from its socket so
//                                                          the relays (and the client) learn that address;
//     each waits at most HandshakeInitialTimeout before the stream is dropped, unless punching started;
//   * PEER_HOLEPUNCH rounds update the remote's state, wait for our NAT analysis, fire a "fast mode" ping
//     when the client opened a session to our address, and punch when the client says it punches.
// Admission (when the server has it): the handshake's pending ticket closes the attempt (or the
// connection still starting its secret-stream) when admission evicts it or its deadline passes; once
// the stream's path is fixed the ticket moves to the address the stream talks to (a relay saw the
// client elsewhere, or the punch found another port: the real one counts); once the client's
// secret-stream header has arrived it becomes established and the connection is handed out; the stream closed, it is released (penalizing the address when the connection
// was closed for abuse: HyperDhtConnection.CloseAsync).
using System.Net;
using Cabal.Net.Admission;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht.Holepunch;
using Cabal.Net.HyperDht.Transport;
using Cabal.Net.SecretStream;
using Cabal.Net.Udx;

namespace Cabal.Net.HyperDht;

internal sealed class UdxServerTransport(HyperDhtServer server) : IServerTransport
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, UdxStream> _created = [];
    private readonly Dictionary<ServerHandshake, ServerAttempt> _attempts = [];
    private bool _closed;

    private HyperDht Dht => server.Dht;

    public uint CreateStream(HandshakeContext context)
    {
        var stream = (Dht.Udx ?? throw new InvalidOperationException("Connections need UDX sockets.")).CreateStream();
        lock (_gate) _created[stream.LocalId] = stream;
        return stream.LocalId;
    }

    public IDatagramSocket? OnHandshake(ServerHandshake hs, DhtIncomingRequest request)
    {
        UdxStream? stream;
        lock (_gate)
        {
            _created.Remove(hs.ServerPayload.Udx!.Id, out stream);
            if (stream is null || _closed)
            {
                stream?.Destroy();
                if (hs.Ticket is { } ticket) server.Admission?.Release(ticket, null);
                return null;
            }
        }
        var attempt = new ServerAttempt(this, server, hs, stream);
        lock (_gate) _attempts[hs] = attempt;
        server.Responder.Hold(hs);
        hs.Ticket?.SetCloser(attempt.Close);
        return attempt.Start(request);
    }

    public async ValueTask<HolepunchAnswer?> OnHolepunchAsync(ServerHandshake hs, HolepunchPayload remote, Ipv4EndPoint peerAddress, DhtIncomingRequest request)
    {
        ServerAttempt? attempt;
        lock (_gate) _attempts.TryGetValue(hs, out attempt);
        if (attempt is null) return null;
        return await attempt.OnHolepunchAsync(remote, peerAddress, request).ConfigureAwait(false);
    }

    internal void Finished(ServerAttempt attempt)
    {
        lock (_gate) _attempts.Remove(attempt.Handshake);
        server.Responder.Release(attempt.Handshake);
    }

    public void Close()
    {
        List<ServerAttempt> attempts;
        lock (_gate)
        {
            _closed = true;
            attempts = [.. _attempts.Values];
            foreach (var s in _created.Values) s.Destroy();
            _created.Clear();
        }
        foreach (var a in attempts) a.Abort();
    }

    internal static UdxSocket UdxOf(IDatagramSocket socket)
        => socket is UdxDatagramSocket u ? u.Socket : throw new InvalidOperationException("Connections need UDX sockets.");
}

/// <summary>One accepted handshake on its way to a connection (server.js's per-handshake state).</summary>
internal sealed class ServerAttempt
{
    private readonly UdxServerTransport _transport;
    private readonly HyperDhtServer _server;
    private readonly UdxStream _stream;
    private readonly Lock _gate = new();
    private Holepuncher? _puncher;
    private ITimer? _prepunch;
    private AdmissionTicket? _ticket;
    private HyperDhtConnection? _connection;
    private bool _claimed;
    private bool _aborted;
    private ulong _round;

    public ServerAttempt(UdxServerTransport transport, HyperDhtServer server, ServerHandshake handshake, UdxStream stream)
    {
        _transport = transport;
        _server = server;
        Handshake = handshake;
        _stream = stream;
        _stream.Firewall = OnFirewall;
        _ticket = handshake.Ticket;
    }

    public ServerHandshake Handshake { get; }

    private HyperDht Dht => _server.Dht;

    /// <summary>Decides how the client gets through; returns the socket our reply must leave from.</summary>
    public IDatagramSocket? Start(DhtIncomingRequest request)
    {
        var hs = Handshake;
        var client = hs.ClientAddress;
        if (hs.ClientPayload.Firewall == FirewallType.Open || hs.Direct)
        {
            Interlocked.Increment(ref Dht.PunchStats.open);
            var socket = hs.Direct ? request.Socket : Dht.Node.Socket;
            OnSocket(UdxServerTransport.UdxOf(socket), client.ToIPEndPoint(), ConnectionPath.Direct);
            return null;
        }

        if (client.Address == request.To.Address && Dht.Options.LocalConnection)
        {
            var clientLocal = hs.ClientPayload.Addresses4.Where(AddressClasses.IsPrivate).ToList();
            if (clientLocal.Count > 0 && AddressClasses.MatchAddress(AddressClasses.LocalAddresses(Dht.Node.ServerAddress), clientLocal) is not null)
            {
                SetUpPuncher();
                StartTimer(Abort);
                return null;
            }
        }

        if (hs.ServerPayload.Firewall == FirewallType.Open)
        {
            StartTimer(Abort);
            return null;
        }

        var puncher = SetUpPuncher();
        StartTimer(() => puncher.Destroy());
        return puncher.Socket;
    }

    private Holepuncher SetUpPuncher()
    {
        var puncher = new Holepuncher(Dht, isInitiator: false, Handshake.ClientPayload.Firewall) { OnAbort = Abort };
        lock (_gate) _puncher = puncher;
        return puncher;
    }

    private void StartTimer(Action onTimeout)
    {
        lock (_gate)
            _prepunch = Dht.Options.Time.CreateTimer(_ => onTimeout(), null, Dht.Options.HandshakeInitialTimeout, Timeout.InfiniteTimeSpan);
    }

    private void StopTimer()
    {
        lock (_gate)
        {
            _prepunch?.Dispose();
            _prepunch = null;
        }
    }

    /// <summary>The first packet for our stream from anywhere fixes the path (server.js rawStream firewall).</summary>
    private bool OnFirewall(UdxSocket socket, IPEndPoint from)
    {
        if (from.Port is <= 0 or >= 65536) return true;
        var path = _puncher?.Owns(socket) == true ? ConnectionPath.Holepunch
            : Handshake.ServerPayload.Firewall == FirewallType.Open ? ConnectionPath.Open : ConnectionPath.Lan;
        OnSocket(socket, from, path);
        return false;
    }

    private void OnSocket(UdxSocket socket, IPEndPoint remote, ConnectionPath path)
    {
        Holepuncher? puncher;
        lock (_gate)
        {
            if (_claimed || _aborted) return;
            _claimed = true;
            puncher = _puncher;
        }
        StopTimer();
        var owned = puncher?.Owns(socket) == true ? socket : null;
        if (puncher is not null)
        {
            puncher.OnAbort = null;
            puncher.Destroy(keep: socket);
        }
        _transport.Finished(this);
        if (!ChargeTo(remote.Address))
        {
            _stream.Destroy();
            owned?.Close();
            return;
        }
        try
        {
            _stream.Connect(socket, Handshake.ClientPayload.Udx!.Id, remote);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            owned?.Close();
            ReleaseTicket(null);
            return;
        }
        var options = Dht.Options;
        var secure = new SecretStreamPipe(_stream, Handshake.Noise, new SecretStreamOptions { KeepAlive = options.ConnectionKeepAlive });
        var connection = new HyperDhtConnection(_stream, secure, Handshake.Noise, isInitiator: false, path, 0, owned, Dht.Udx!.Options.Linger);
        lock (_gate) _connection = connection;
        var ticket = _ticket;
        if (ticket is not null)
            _ = connection.Closed.ContinueWith(_ => _server.Admission?.Release(ticket, connection.CloseReason), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = Task.Run(async () =>
        {
            try
            {
                await secure.StartAsync().ConfigureAwait(false);
                // Under admission the connection is established (and handed out) once the client's
                // header has arrived: a client that stalls there is still pending, and its deadline ends it.
                if (ticket is not null) await secure.RemoteHeader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            if (ticket is not null && _server.Admission?.TryEstablish(ticket) == false)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            _server.RaiseConnection(connection);
        });
    }

    /// <summary>
    /// Moves the pending ticket to <paramref name="actual"/>, the address the stream talks to, when the
    /// handshake was charged elsewhere. False: that address may not have another connection (drop it).
    /// </summary>
    private bool ChargeTo(IPAddress actual)
    {
        var control = _server.Admission;
        var old = _ticket;
        if (control is null || old is null) return true;
        if (old.Address.Equals(actual.IsIPv4MappedToIPv6 ? actual.MapToIPv4() : actual)) return true;
        var decision = control.TryAdmit(actual);
        if (decision.Evicted is { } victim) ThreadPool.QueueUserWorkItem(v => v.RequestClose(), victim, preferLocal: false);
        control.Release(old, null);
        _ticket = decision.Ticket;
        decision.Ticket?.SetCloser(Close);
        return decision.Ticket is not null;
    }

    private void ReleaseTicket(Exception? error)
    {
        if (Interlocked.Exchange(ref _ticket, null) is { } ticket) _server.Admission?.Release(ticket, error);
    }

    /// <summary>Admission's close (evicted, or its pending deadline passed): drop the attempt, or the connection still starting.</summary>
    public void Close()
    {
        HyperDhtConnection? connection;
        lock (_gate) connection = _connection;
        if (connection is not null) _ = connection.DisposeAsync().AsTask();
        else Abort();
    }

    /// <summary>The client did not come (or the holepunch failed): drop the stream.</summary>
    public void Abort()
    {
        Holepuncher? puncher;
        lock (_gate)
        {
            if (_claimed || _aborted) return;
            _aborted = true;
            puncher = _puncher;
        }
        StopTimer();
        if (puncher is not null)
        {
            puncher.OnAbort = null;
            puncher.Destroy();
        }
        _stream.Destroy();
        _transport.Finished(this);
        ReleaseTicket(null);
        HyperDhtLog.ServerAttemptAborted(Dht.Logger, Convert.ToHexStringLower(Handshake.Noise.RemotePublicKey));
    }

    // ---- PEER_HOLEPUNCH ----------------------------------------------------------------------------

    public async ValueTask<HolepunchAnswer?> OnHolepunchAsync(HolepunchPayload remote, Ipv4EndPoint peerAddress, DhtIncomingRequest request)
    {
        var p = _puncher;
        if (p is null) return null; // never set up for punching: nothing to say (server.js _abort without a payload)
        if (p.Destroyed) return AbortAnswer(PayloadError.Aborted);

        var box = Handshake.PayloadBox;
        var isServerRelay = _server.IsRelay(request.From);
        if (remote.Error != PayloadError.None)
        {
            lock (_gate) _round = Math.Max(_round, remote.Round);
            return AbortAnswer(PayloadError.Aborted);
        }

        var token = box.Token(peerAddress);
        var echoed = isServerRelay && remote.RemoteToken is { } rt && rt.AsSpan().SequenceEqual(token);
        if (request.Socket == p.Socket) p.AddSample(request.To, request.From);
        lock (_gate)
        {
            if (remote.Round >= _round)
            {
                _round = remote.Round;
                p.UpdateRemote(remote.Punching, remote.Firewall, remote.Addresses, echoed ? peerAddress.Address : null);
            }
        }

        using var bound = new CancellationTokenSource(Dht.Options.HandshakeInitialTimeout, Dht.Options.Time);
        bool stable;
        try
        {
            stable = await p.AnalyzeAsync(false, bound.Token).ConfigureAwait(false);
            if (p.Destroyed) return null;
            if (!p.RemoteHolepunching && !stable)
            {
                stable = await p.AnalyzeAsync(true, bound.Token).ConfigureAwait(false);
                if (p.Destroyed) return null;
                // Both sides randomising (fresh sockets did not help): unlike server.js, which aborts here
                // and leaves the client with REMOTE_ABORTED, answer with our firewall and no punch, so the
                // client (JS or ours) can tell HOLEPUNCH_DOUBLE_RANDOMIZED_NATS. Our side unknown: abort.
                if (!stable && !(p.Nat.Firewall >= FirewallType.Random && p.RemoteFirewall >= FirewallType.Random))
                    return AbortAnswer(PayloadError.Aborted);
            }
        }
        catch (OperationCanceledException)
        {
            return AbortAnswer(PayloadError.Aborted);
        }

        // Fast mode: the client opened a session to an address of ours: answer it with a punch right away.
        if (PunchStrategy.Coerce(p.Nat.Firewall) == FirewallType.Consistent && remote.RemoteAddress is { } ra && p.Nat.Addresses?.Contains(ra) == true)
            p.Ping(peerAddress);

        if (p.RemoteHolepunching)
        {
            StopTimer();
            if ((p.RemoteFirewall >= FirewallType.Random || p.Nat.Firewall >= FirewallType.Random) && Dht.RandomPunches.Busy)
            {
                Interlocked.Increment(ref Dht.PunchStats.tryLater);
                return AbortAnswer(PayloadError.TryLater);
            }
            var punching = await p.PunchAsync().ConfigureAwait(false);
            if (p.Destroyed && !p.Connected) return null;
            if (!punching) return AbortAnswer(PayloadError.Aborted);
        }

        if (p.Nat.Firewall != FirewallType.Unknown) p.Nat.Freeze();
        ulong round;
        lock (_gate) round = _round;
        return new HolepunchAnswer(new HolepunchPayload
        {
            Firewall = p.Nat.Firewall,
            Round = round,
            Connected = p.Connected,
            Punching = p.Punching,
            Addresses = p.Nat.Addresses,
            Token = isServerRelay ? token : null,
            RemoteToken = remote.Token,
        }, p.Socket);
    }

    /// <summary>server.js _abort: tell the client we stopped, from the DHT socket, and stop punching.</summary>
    private HolepunchAnswer AbortAnswer(ulong error)
    {
        ulong round;
        lock (_gate) round = _round;
        var answer = new HolepunchAnswer(new HolepunchPayload { Error = error, Firewall = FirewallType.Unknown, Round = round }, Dht.Node.Socket);
        _puncher?.Destroy();
        return answer;
    }
}
