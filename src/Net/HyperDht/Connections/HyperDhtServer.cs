// A server listening on a key pair (hyperdht lib/server.js): it holds a route on this node's router,
// answers handshakes through its HandshakeResponder and PEER_HOLEPUNCH rounds for them; the announcer
// (HyperDht.Listen) keeps its route on the closest DHT nodes.
// What happens after a handshake — creating the UDX stream its payload names, choosing how the client
// gets through (at once, LAN, holepunch), punching — is the transport's (IServerTransport): on UDX
// sockets that is UdxServerTransport, which raises Connection for every connection that comes up; tests
// of the DHT alone plug in a transport that only records.
// Bad input is dropped and counted: msg1 that does not authenticate for our key (HandshakeResponder),
// PEER_HOLEPUNCH for a slot we do not hold, payloads that do not open.
using Cabal.Net.Admission;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht.Holepunch;

namespace Cabal.Net.HyperDht;

/// <summary>What a listening server needs from the transport below (UDX streams, holepunching).</summary>
public interface IServerTransport
{
    /// <summary>Creates an unconnected stream for a handshake; returns its local id for the payload's udx field.</summary>
    uint CreateStream(HandshakeContext context);

    /// <summary>
    /// A new accepted handshake was answered (its client may now reach the stream). Returns the socket the
    /// reply must leave from (the holepunch socket, so relays learn its address), or null for the socket the
    /// request arrived on. Runs under the node's lock: must not block.
    /// </summary>
    IDatagramSocket? OnHandshake(ServerHandshake handshake, DhtIncomingRequest request);

    /// <summary>
    /// A PEER_HOLEPUNCH round from the client of <paramref name="handshake"/> (its payload opened and
    /// decoded). Returns our payload and the socket to send it from, or null to send nothing.
    /// </summary>
    ValueTask<HolepunchAnswer?> OnHolepunchAsync(ServerHandshake handshake, HolepunchPayload remote, Ipv4EndPoint peerAddress, DhtIncomingRequest request);

    /// <summary>The server is closing: drop handshakes still waiting for their clients.</summary>
    void Close();
}

/// <summary>The server's holepunch payload and the socket to send it from (null: the one the request came in on).</summary>
public sealed record HolepunchAnswer(HolepunchPayload Payload, IDatagramSocket? Socket = null);

public sealed class HyperDhtServer : IRouteServer, IAsyncDisposable
{
    private readonly HyperDht _dht;
    private readonly IServerTransport _transport;
    private long _holepunchUnknownSlot, _holepunchUndecryptable;
    private long _connections;
    private int _closed;

    internal HyperDhtServer(HyperDht dht, KeyPair keyPair, Func<HyperDhtServer, IServerTransport> transport, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall,
        AdmissionControl? admission)
    {
        _dht = dht;
        KeyPair = keyPair;
        Target = HyperDhtKeys.Hash(keyPair.PublicKey);
        Admission = admission;
        Responder = new HandshakeResponder(keyPair, CreatePayload, dht.Options.Time, dht.Options.HandshakeClearWait, dht.Options.MaxPendingHandshakes, firewall,
            admission, dht.Options.MaxHandshakesPerHost);
        _transport = transport(this);
    }

    public KeyPair KeyPair { get; }
    public byte[] PublicKey => KeyPair.PublicKey;
    public byte[] Target { get; }
    public HandshakeResponder Responder { get; }

    /// <summary>The admission control its connections go through (the node's), or null.</summary>
    public AdmissionControl? Admission { get; }

    internal HyperDht Dht => _dht;

    /// <summary>Our announce relays: (the node holding our route, our address as it sees us).</summary>
    public IReadOnlyList<RelayInfo> Relays { get; internal set; } = [];

    /// <summary>Up to 3 addresses to publish in topic announcements: where handshakes for us can be sent.</summary>
    public IReadOnlyList<Ipv4EndPoint> RelayAddresses { get; internal set; } = [];

    /// <summary>Raised for every connection a client completes to us (on a pool thread).</summary>
    public event Action<HyperDhtConnection>? Connection;

    /// <summary>Connections that came up.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>PEER_HOLEPUNCH for a holepunch slot we do not hold (expired or made up): dropped.</summary>
    public long HolepunchUnknownSlot => Interlocked.Read(ref _holepunchUnknownSlot);

    /// <summary>PEER_HOLEPUNCH payloads that did not open with the handshake's key, or did not decode: dropped.</summary>
    public long HolepunchUndecryptable => Interlocked.Read(ref _holepunchUndecryptable);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Whether <paramref name="address"/> is one of the nodes holding our route (a relay we announced through).</summary>
    public bool IsRelay(Ipv4EndPoint address)
    {
        foreach (var r in Relays)
            if (r.RelayAddress == address) return true;
        return false;
    }

    internal void RaiseConnection(HyperDhtConnection connection)
    {
        Interlocked.Increment(ref _connections);
        HyperDhtLog.ServerConnection(_dht.Logger, Convert.ToHexStringLower(connection.RemotePublicKey), connection.Path.ToString());
        try
        {
            Connection?.Invoke(connection);
        }
        catch (Exception e)
        {
            HyperDhtLog.ConnectionHandlerFailed(_dht.Logger, e);
        }
    }

    HandshakeReply? IRouteServer.OnPeerHandshake(byte[] noise, Ipv4EndPoint? peerAddress, DhtIncomingRequest request)
    {
        if (IsClosed) return null;
        var before = Responder.Answered;
        var hs = Responder.OnHandshake(noise, peerAddress, request.From, request.To, source: SourceOf(peerAddress, request));
        if (hs is null)
        {
            HyperDhtLog.HandshakeRefused(_dht.Logger, "not for our key, undecodable or refused");
            return null;
        }
        if (Responder.Answered != before && hs.Accepted) hs.ReplySocket = _transport.OnHandshake(hs, request);
        return new HandshakeReply(hs.Reply, hs.ReplySocket);
    }

    /// <summary>
    /// Who a handshake counts against: the client as the relay saw it when the relay is one of ours
    /// (all relayed handshakes come through the nodes holding our route); else the datagram's sender,
    /// so a host that claims to relay cannot charge made-up client addresses. The connection is
    /// charged again to the address its UDX stream actually talks to once that is known.
    /// </summary>
    private Ipv4EndPoint SourceOf(Ipv4EndPoint? peerAddress, DhtIncomingRequest request)
        => peerAddress is { } client && IsRelay(request.From) ? client : request.From;

    async ValueTask<HolepunchReply?> IRouteServer.OnPeerHolepunchAsync(ulong id, byte[] payload, Ipv4EndPoint peerAddress, DhtIncomingRequest request)
    {
        if (IsClosed) return null;
        var hs = Responder.BySlot(id);
        if (hs is null)
        {
            Interlocked.Increment(ref _holepunchUnknownSlot);
            return null;
        }
        if (!hs.PayloadBox.TryOpen(payload, out var remote))
        {
            Interlocked.Increment(ref _holepunchUndecryptable);
            HyperDhtLog.HolepunchUndecryptable(_dht.Logger, request.From.ToString());
            return null;
        }
        var answer = await _transport.OnHolepunchAsync(hs, remote, peerAddress, request).ConfigureAwait(false);
        return answer is null ? null : new HolepunchReply(hs.PayloadBox.Seal(answer.Payload), answer.Socket);
    }

    private NoisePayload CreatePayload(HandshakeContext context)
    {
        var remote = _dht.Node.RemoteAddress;
        var addresses = new List<Ipv4EndPoint>();
        if (remote is { } r) addresses.Add(r);
        foreach (var local in AddressClasses.LocalAddresses(_dht.Node.ServerAddress))
            if (!addresses.Contains(local)) addresses.Add(local);
        var relayAddresses = RelayAddresses;
        return new NoisePayload
        {
            Firewall = remote is null ? FirewallType.Unknown : FirewallType.Open,
            Holepunch = remote is null ? new HolepunchInfo(context.HolepunchId, Relays) : null,
            Addresses4 = addresses,
            Udx = context.Error == PayloadError.None ? new UdxInfo(_transport.CreateStream(context)) : null,
            SecretStream = 1,
            RelayAddresses = relayAddresses.Count > 0 ? relayAddresses : null,
        };
    }

    /// <summary>Stops answering: the route is removed, the announcer stops and our route is unannounced from the relays.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _transport.Close();
        await _dht.StopServerAsync(this).ConfigureAwait(false);
    }
}
