// One ConnectAsync attempt (hyperdht lib/connect.js; spec/hyperswarm.md §3.7, §3.9, §3.10).
//   1. An unconnected UDX stream; its id goes in our payload {firewall, addresses4, udx, secretStream}.
//      Its firewall hook accepts the server's first packet from anywhere: before the handshake is done it
//      only remembers where that came from (the server connected to us first), afterwards it fixes the path.
//   2. PEER_HANDSHAKE through the given relay addresses and the nodes FIND_PEER finds (HyperDht.HandshakeAsync).
//   3. The path (ClientPath.Choose): not relayed → the address we sent to; server OPEN, or relayed and
//      not holepunchable → its public address; we are OPEN → wait for the server; same public host → a
//      dht-rpc PING to its local address, and on an answer the stream goes there from our server socket
//      (beside holepunching when that is possible); holepunchable → probe round, punch round; else
//      CANNOT_HOLEPUNCH.
//   4. The first path wins: the stream connects, secret-stream starts from the Noise result, and the
//      attempt completes once the server's header frame has arrived.
// Everything is bounded: the attempt's timeout, every DHT request's retries, the punch rounds.
using System.Net;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht.Holepunch;
using Cabal.Net.SecretStream;
using Cabal.Net.Udx;

namespace Cabal.Net.HyperDht;

internal sealed class ClientConnector
{
    private static readonly TimeSpan UnknownRemotePause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OpenWait = TimeSpan.FromSeconds(10);

    private readonly HyperDht _dht;
    private readonly byte[] _remoteKey;
    private readonly KeyPair _keyPair;
    private readonly ConnectOptions _options;
    private readonly bool _lan;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<HyperDhtConnection> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _name;
    private UdxStream? _stream;
    private ClientHandshakeResult? _handshake;
    private HolepunchBox? _box;
    private (UdxSocket Socket, IPEndPoint From)? _early;
    private Holepuncher? _puncher;
    private FirewallType _firewall;
    private CancellationToken _token;
    private bool _claimed;
    private int _round;

    public ClientConnector(HyperDht dht, byte[] remoteKey, KeyPair keyPair, ConnectOptions options)
    {
        _dht = dht;
        _remoteKey = remoteKey;
        _keyPair = keyPair;
        _options = options;
        _lan = options.LocalConnection ?? dht.Options.LocalConnection;
        _name = Convert.ToHexStringLower(remoteKey)[..16];
    }

    public async Task<HyperDhtConnection> RunAsync(CancellationToken cancellationToken)
    {
        var time = _dht.Options.Time;
        using var timeout = new CancellationTokenSource(_options.Timeout ?? _dht.Options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        _token = linked.Token;
        HyperDhtConnection? connection = null;
        try
        {
            _stream = _dht.Udx!.CreateStream();
            _stream.Firewall = OnFirewall;
            var handshake = await _dht.HandshakeAsync(_remoteKey, _keyPair, CreatePayload(), _options.RelayAddresses, _token).ConfigureAwait(false);
            (UdxSocket Socket, IPEndPoint From)? early;
            lock (_gate)
            {
                _handshake = handshake;
                _box = new HolepunchBox(handshake.HolepunchSecret);
                early = _early;
            }
            if (early is { } e) OnSocket(e.Socket, e.From, ConnectionPath.Direct);
            else if (!handshake.Relayed) OnSocket(UdxServerTransport.UdxOf(_dht.Node.Socket), handshake.RelayAddress.ToIPEndPoint(), ConnectionPath.Direct);
            else _ = HolepunchInBackgroundAsync();

            connection = await _done.Task.WaitAsync(_token).ConfigureAwait(false);
            await connection.SecretStream.RemoteHeader.WaitAsync(_token).ConfigureAwait(false);
            HyperDhtLog.ClientConnected(_dht.Logger, _name, connection.Path.ToString(), connection.HolepunchRounds);
            return connection;
        }
        catch (Exception e)
        {
            Fail(e);
            DestroyPuncher();
            connection ??= _done.Task.IsCompletedSuccessfully ? _done.Task.Result : null;
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else _stream?.Destroy();
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                e = new HyperDhtException("CONNECT_TIMEOUT", $"No connection to the peer within {_options.Timeout ?? _dht.Options.ConnectTimeout}.");
            HyperDhtLog.ClientFailed(_dht.Logger, _name, e.Message);
            if (e is OperationCanceledException) cancellationToken.ThrowIfCancellationRequested();
            throw e is HyperDhtException or OperationCanceledException ? e : new HyperDhtException("PEER_CONNECTION_FAILED", e.Message);
        }
    }

    /// <summary>Our handshake payload (connect.js connectThroughNode's first call).</summary>
    private NoisePayload CreatePayload()
    {
        var remote = _dht.Node.RemoteAddress;
        var addresses = new List<Ipv4EndPoint>();
        if (remote is { } r) addresses.Add(r);
        if (_lan) addresses.AddRange(AddressClasses.LocalAddresses(_dht.Node.ServerAddress));
        _firewall = remote is null ? FirewallType.Unknown : FirewallType.Open;
        return new NoisePayload
        {
            Firewall = _firewall,
            Addresses4 = addresses,
            Udx = new UdxInfo(_stream!.LocalId),
            SecretStream = 1,
        };
    }

    // ---- the path --------------------------------------------------------------------------------

    /// <summary>The server's first packet: where it comes from is the path (or will be, once the handshake is done).</summary>
    private bool OnFirewall(UdxSocket socket, IPEndPoint from)
    {
        lock (_gate)
        {
            if (_handshake is null)
            {
                _early ??= (socket, from);
                return false;
            }
        }
        OnSocket(socket, from, _puncher?.Owns(socket) == true ? ConnectionPath.Holepunch : ConnectionPath.Direct);
        return false;
    }

    /// <summary>The first path found wins: connect the stream there and start secret-stream (connect.js onsocket).</summary>
    private void OnSocket(UdxSocket socket, IPEndPoint remote, ConnectionPath path)
    {
        Holepuncher? puncher;
        ClientHandshakeResult handshake;
        lock (_gate)
        {
            if (_claimed || _done.Task.IsCompleted || _handshake is null) return;
            _claimed = true;
            puncher = _puncher;
            handshake = _handshake;
        }
        var owned = puncher?.Owns(socket) == true ? socket : null;
        if (puncher is not null)
        {
            puncher.OnAbort = null;
            puncher.Destroy(keep: socket);
        }
        try
        {
            _stream!.Connect(socket, handshake.ServerPayload.Udx!.Id, remote);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or ArgumentException)
        {
            owned?.Close();
            _done.TrySetException(new HyperDhtException("PEER_CONNECTION_FAILED", "The stream could not be connected: " + e.Message));
            return;
        }
        var secure = new SecretStreamPipe(_stream, handshake.Noise, new SecretStreamOptions { KeepAlive = _dht.Options.ConnectionKeepAlive });
        var connection = new HyperDhtConnection(_stream, secure, handshake.Noise, isInitiator: true, path, _round, owned, _dht.Udx!.Options.Linger);
        _ = Task.Run(async () =>
        {
            try
            {
                await secure.StartAsync().ConfigureAwait(false);
                if (!_done.TrySetResult(connection)) await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        });
    }

    private void Fail(Exception error)
    {
        lock (_gate)
            if (_claimed) return;
        _done.TrySetException(error);
    }

    private async Task HolepunchInBackgroundAsync()
    {
        try
        {
            await HolepunchAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            DestroyPuncher();
            Fail(e is HyperDhtException ? e : new HyperDhtException("HOLEPUNCH_ABORTED", e.Message));
        }
    }

    /// <summary>connect.js holepunch(): the path once the handshake came back through a relay.</summary>
    private async Task HolepunchAsync()
    {
        var hs = _handshake!;
        var payload = hs.ServerPayload;
        var holepunchable = payload.Holepunch is { Relays.Count: > 0 };
        var relayed = hs.ServerAddress != hs.RelayAddress;
        var node = _dht.Node;

        if (payload.Firewall == FirewallType.Open || (relayed && !holepunchable))
        {
            var address = payload.Addresses4.FirstOrDefault(a => !AddressClasses.IsBogon(a), hs.ServerAddress);
            Interlocked.Increment(ref _dht.PunchStats.open);
            OnSocket(UdxServerTransport.UdxOf(node.Socket), address.ToIPEndPoint(), ConnectionPath.Open);
            return;
        }

        if (_firewall == FirewallType.Open)
        {
            // The server connects to us (we told it we are OPEN): give it OpenWait.
            await Task.Delay(OpenWait, _dht.Options.Time, _token).ConfigureAwait(false);
            Fail(new HyperDhtException("HOLEPUNCH_ABORTED", "The server did not connect to us."));
            return;
        }

        if (_lan && relayed && hs.ClientAddress.Address == hs.ServerAddress.Address)
        {
            var serverLocal = payload.Addresses4.Where(a => !AddressClasses.IsReserved(a)).ToList();
            if (serverLocal.Count > 0)
            {
                var address = AddressClasses.MatchAddress(AddressClasses.LocalAddresses(node.ServerAddress), serverLocal) ?? serverLocal[0];
                _ = LanAsync(address, holepunchable);
                if (!holepunchable) return;
            }
        }

        if (!holepunchable) throw new HyperDhtException("CANNOT_HOLEPUNCH", "The server is not reachable and gave no holepunch relays.");

        var puncher = new Holepuncher(_dht, isInitiator: true, payload.Firewall)
        {
            OnConnect = (socket, from) => OnSocket(socket, from, ConnectionPath.Holepunch),
            OnAbort = () => Fail(new HyperDhtException("HOLEPUNCH_ABORTED", "The holepunch ran out of rounds.")),
        };
        lock (_gate)
        {
            if (_claimed || _done.Task.IsCompleted)
            {
                puncher.OnAbort = null;
                puncher.Destroy();
                return;
            }
            _puncher = puncher;
        }

        var serverRelay = payload.Holepunch!.Relays.FirstOrDefault(r => r.RelayAddress == hs.RelayAddress, payload.Holepunch.Relays[0]);
        var probe = await ProbeRoundAsync(_options.FastOpen ? hs.ServerAddress : null, serverRelay, retry: true).ConfigureAwait(false);
        if (Done || probe is not { } p) return;

        // The server may have answered from another socket than the one the relay saw it on: use that one.
        var serverAddress = hs.ServerAddress;
        if (serverRelay.RelayAddress == hs.RelayAddress && serverAddress != p.PeerAddress)
        {
            serverAddress = p.PeerAddress;
            puncher.OpenSession(serverAddress);
        }
        await PunchRoundAsync(serverAddress, p.Token, hs.RelayAddress).ConfigureAwait(false);
    }

    private async Task LanAsync(Ipv4EndPoint address, bool holepunchable)
    {
        try
        {
            await _dht.Node.PingAsync(address, _token).ConfigureAwait(false);
            OnSocket(UdxServerTransport.UdxOf(_dht.Node.ServerSocket), address.ToIPEndPoint(), ConnectionPath.Lan);
        }
        catch (Exception e) when (e is DhtRequestException or ObjectDisposedException or OperationCanceledException)
        {
            if (!holepunchable) Fail(new HyperDhtException("HOLEPUNCH_ABORTED", "The server's local address did not answer."));
        }
    }

    private bool Done
    {
        get
        {
            lock (_gate) return _claimed || _done.Task.IsCompleted;
        }
    }

    // ---- holepunch rounds ------------------------------------------------------------------------

    private readonly record struct Probe(byte[]? Token, Ipv4EndPoint PeerAddress);

    private readonly record struct RoundReply(HolepunchPayload Payload, Ipv4EndPoint PeerAddress, Ipv4EndPoint From, Ipv4EndPoint To);

    /// <summary>connect.js probeRound: tell the server our NAT state, learn its, until both are known.</summary>
    private async Task<Probe?> ProbeRoundAsync(Ipv4EndPoint? serverAddress, RelayInfo serverRelay, bool retry)
    {
        var puncher = _puncher!;
        if (serverAddress is { } open) puncher.OpenSession(open);
        if (Done) return null;

        Interlocked.Increment(ref _dht.PunchStats.probeRounds);
        var reply = await RoundAsync(serverRelay.PeerAddress, serverRelay.RelayAddress, new HolepunchPayload
        {
            Firewall = puncher.Nat.Firewall,
            Round = (ulong)_round++,
            Addresses = puncher.Nat.Addresses,
            RemoteAddress = serverAddress,
        }).ConfigureAwait(false);
        if (Done) return null;
        puncher.AddSample(reply.To, reply.From);

        // The server did not know its NAT yet: give it a moment (its fast-mode punch may arrive meanwhile).
        if (puncher.RemoteFirewall == FirewallType.Unknown)
        {
            await Task.Delay(UnknownRemotePause, _dht.Options.Time, _token).ConfigureAwait(false);
            if (Done) return null;
        }

        var stable = await puncher.AnalyzeAsync(false, _token).ConfigureAwait(false);
        if (Done) return null;
        if (!stable)
        {
            stable = await puncher.AnalyzeAsync(true, _token).ConfigureAwait(false);
            if (Done) return null;
            if (stable) return await ProbeRoundAsync(serverAddress, serverRelay, false).ConfigureAwait(false);
        }

        if ((puncher.RemoteFirewall == FirewallType.Unknown || reply.Payload.Token is null) && retry)
            return await ProbeRoundAsync(serverAddress, serverRelay, false).ConfigureAwait(false);

        if (puncher.RemoteFirewall == FirewallType.Unknown || puncher.Nat.Firewall == FirewallType.Unknown)
        {
            await AbortAsync(serverRelay, new HyperDhtException("HOLEPUNCH_PROBE_TIMEOUT", "The NAT types are still unknown after the probe rounds.")).ConfigureAwait(false);
            return null;
        }
        if (puncher.RemoteFirewall >= FirewallType.Random && puncher.Nat.Firewall >= FirewallType.Random)
        {
            await AbortAsync(serverRelay, new HyperDhtException("HOLEPUNCH_DOUBLE_RANDOMIZED_NATS",
                "Both peers are behind NATs that pick a new port for every destination; no holepunch can connect them.")).ConfigureAwait(false);
            return null;
        }
        return new Probe(reply.Payload.Token, reply.PeerAddress);
    }

    /// <summary>connect.js roundPunch: both say "punching", then punch.</summary>
    private async Task PunchRoundAsync(Ipv4EndPoint serverAddress, byte[]? remoteToken, Ipv4EndPoint clientRelay)
    {
        var puncher = _puncher!;
        puncher.Nat.Freeze();
        var isRandom = puncher.RemoteFirewall >= FirewallType.Random || puncher.Nat.Firewall >= FirewallType.Random;
        // Without a blind relay to fall back on there is no waiting for our turn (hyperdht: HOLEPUNCH_ABORTED).
        if (isRandom && _dht.RandomPunches.Busy)
            throw new HyperDhtException("HOLEPUNCH_ABORTED", "Another punch through a randomising NAT ran less than RandomPunchInterval ago.");
        if (isRandom) _dht.RandomPunches.Take();
        try
        {
            Interlocked.Increment(ref _dht.PunchStats.punchRounds);
            await RoundAsync(serverAddress, clientRelay, new HolepunchPayload
            {
                Firewall = puncher.Nat.Firewall,
                Round = (ulong)_round++,
                Punching = true,
                Addresses = puncher.Nat.Addresses,
                Token = _box!.Token(serverAddress),
                RemoteToken = remoteToken,
            }).ConfigureAwait(false);
        }
        finally
        {
            if (isRandom) _dht.RandomPunches.Release(stamp: false);
        }
        if (Done) return;
        HyperDhtLog.HolepunchRound(_dht.Logger, _name, puncher.Nat.Firewall.ToString(), puncher.RemoteFirewall.ToString(), (ulong)_round);
        if (!puncher.RemoteHolepunching) throw new HyperDhtException("REMOTE_NOT_HOLEPUNCHING", "The server declined to punch.");
        if (!await puncher.PunchAsync().ConfigureAwait(false)) throw new HyperDhtException("REMOTE_NOT_HOLEPUNCHABLE", "No punch works between these NAT types.");
    }

    /// <summary>One PEER_HOLEPUNCH exchange through a relay, from the punch socket (connect.js updateHolepunch).</summary>
    private async Task<RoundReply> RoundAsync(Ipv4EndPoint peerAddress, Ipv4EndPoint relay, HolepunchPayload payload)
    {
        var hs = _handshake!;
        var puncher = _puncher!;
        var value = new HolepunchMessage(RelayMode.FromClient, hs.ServerPayload.Holepunch!.Id, _box!.Seal(payload), peerAddress).Encode();
        DhtReply reply;
        try
        {
            reply = await _dht.Node.RequestAsync(relay, new DhtRequestOptions
            {
                Command = HyperDhtCommand.PeerHolepunch,
                Target = HyperDhtKeys.Hash(_remoteKey),
                Value = value,
                Socket = puncher.Socket,
            }, _token).ConfigureAwait(false);
        }
        catch (DhtRequestException e)
        {
            throw new HyperDhtException(e.Code, "PEER_HOLEPUNCH through " + relay + ": " + e.Message);
        }
        if (reply.Value is null || !HolepunchMessage.TryDecode(reply.Value, out var message) || message.Mode != RelayMode.Reply || reply.From != relay)
            throw new HyperDhtException("BAD_HOLEPUNCH_REPLY", "Bad holepunch reply from " + relay);
        if (!_box.TryOpen(message.Payload, out var remote))
        {
            Interlocked.Increment(ref _dht.PunchStats.invalidReplies);
            throw new HyperDhtException("HOLEPUNCH_INVALID", "The server's holepunch payload did not open.");
        }
        if (remote.Error != PayloadError.None) throw new HyperDhtException("REMOTE_ABORTED", "Remote aborted with error code " + remote.Error);
        var echoed = remote.RemoteToken is { } rt && payload.Token is { } ours && rt.AsSpan().SequenceEqual(ours);
        puncher.UpdateRemote(remote.Punching, remote.Firewall, remote.Addresses, echoed ? peerAddress.Address : null);
        return new RoundReply(remote, message.PeerAddress ?? relay, reply.From, reply.To);
    }

    /// <summary>Tell the server we give up (an ABORTED round), stop punching, fail with <paramref name="error"/>.</summary>
    private async Task AbortAsync(RelayInfo serverRelay, HyperDhtException error)
    {
        try
        {
            await RoundAsync(serverRelay.PeerAddress, serverRelay.RelayAddress, new HolepunchPayload
            {
                Error = PayloadError.Aborted,
                Firewall = FirewallType.Unknown,
                Round = (ulong)_round++,
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HyperDhtException or OperationCanceledException) { }
        DestroyPuncher();
        Fail(error);
    }

    private void DestroyPuncher()
    {
        Holepuncher? puncher;
        lock (_gate) puncher = _puncher;
        if (puncher is null) return;
        puncher.OnAbort = null;
        puncher.Destroy();
    }
}
