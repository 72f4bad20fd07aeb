// The server's side of PEER_HANDSHAKE (hyperdht lib/server.js _onpeerhandshake/_addHandshake;
// spec/hyperswarm.md §3.8), as pure state with injected time:
//   * idempotent per message 1: the same msg1 (retransmitted, or arriving through several relays) maps
//     to one handshake and gets the identical message 2; entries are kept for HandshakeClearWait;
//   * each new handshake takes a holepunch slot (the lowest free id), named in our payload;
//   * msg1 that does not authenticate for our key, or whose payload does not decode, gets no reply
//     (counted); the firewall hook may refuse a client by its key, payload and address;
//   * our payload says error VERSION_MISMATCH or ABORTED when the client's is not version 1 or has no
//     UDX data; otherwise the caller's payload factory fills in firewall, addresses and UDX stream id.
// Bounded: at most MaxPendingHandshakes at once, and MaxHandshakesPerHost for one client host; more
// are refused until old ones expire. With admission control (docs/hostile-peers.md), a new handshake
// is checked by its source before message 1 is decrypted (a penalized or over-limit source costs a
// lookup) and takes a pending ticket before our payload (and so the UDX stream) is made; the ticket
// rides on the ServerHandshake for the transport to carry to established or release.
using System.Net;
using Cabal.Net.Admission;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Net.NoiseIk;

namespace Cabal.Net.HyperDht;

/// <summary>What the payload factory knows about a handshake.</summary>
public sealed record HandshakeContext(ulong HolepunchId, NoisePayload ClientPayload, byte[] ClientPublicKey, Ipv4EndPoint ClientAddress, Ipv4EndPoint ServerAddress, bool Direct, ulong Error);

/// <summary>A handshake the server answered (one per distinct message 1).</summary>
public sealed class ServerHandshake
{
    internal ServerHandshake(ulong holepunchId, byte[] reply, NoiseIkResult noise, NoisePayload clientPayload, NoisePayload serverPayload, Ipv4EndPoint clientAddress, bool direct, long expires)
    {
        HolepunchId = holepunchId;
        Reply = reply;
        Noise = noise;
        ClientPayload = clientPayload;
        ServerPayload = serverPayload;
        ClientAddress = clientAddress;
        Direct = direct;
        Expires = expires;
        PayloadBox = new HolepunchBox(HolepunchBox.SecretFromHandshakeHash(noise.HandshakeHash));
    }

    public ulong HolepunchId { get; }

    /// <summary>Noise message 2.</summary>
    public byte[] Reply { get; }

    public NoiseIkResult Noise { get; }
    public NoisePayload ClientPayload { get; }
    public NoisePayload ServerPayload { get; }
    public Ipv4EndPoint ClientAddress { get; }
    public bool Direct { get; }
    /// <summary>Opens and seals this connection's PEER_HOLEPUNCH payloads.</summary>
    public HolepunchBox PayloadBox { get; }
    public bool Accepted => ServerPayload.Error == PayloadError.None;

    /// <summary>The client host this handshake counts against (MaxHandshakesPerHost).</summary>
    internal uint Source { get; init; }

    /// <summary>Its admission ticket (pending), when the responder has admission control; the transport releases it.</summary>
    public AdmissionTicket? Ticket { get; internal set; }

    /// <summary>How many times the same message 1 was answered again.</summary>
    public int Duplicates { get; internal set; }

    /// <summary>The socket our reply leaves from (and leaves from again for duplicates); null: the one the request came in on.</summary>
    public Dht.IDatagramSocket? ReplySocket { get; internal set; }

    internal long Expires { get; set; }
}

public sealed class HandshakeResponder
{
    private readonly KeyPair _keyPair;
    private readonly Func<HandshakeContext, NoisePayload> _payload;
    private readonly Func<byte[], NoisePayload, Ipv4EndPoint, bool>? _firewall;
    private readonly TimeProvider _time;
    private readonly TimeSpan _clearWait;
    private readonly int _maxPending;
    private readonly int _maxPerHost;
    private readonly AdmissionControl? _admission;
    private readonly Dictionary<string, ServerHandshake> _byMessage = [];
    private readonly Dictionary<uint, int> _perHost = [];
    private readonly List<ServerHandshake?> _slots = [];

    /// <param name="payload">Builds our payload for a client (firewall, addresses4, udx{id}, secretStream, holepunch relays).</param>
    /// <param name="firewall">Returns true to refuse a client (its key, payload, address); default accepts all.</param>
    /// <param name="admission">Admission control of accepted handshakes (each takes a pending ticket); default none.</param>
    /// <param name="maxPerHost">Handshakes kept at once for one client host; default unbounded (only <paramref name="maxPending"/>).</param>
    public HandshakeResponder(KeyPair keyPair, Func<HandshakeContext, NoisePayload> payload, TimeProvider? time = null,
        TimeSpan? clearWait = null, int maxPending = 4096, Func<byte[], NoisePayload, Ipv4EndPoint, bool>? firewall = null,
        AdmissionControl? admission = null, int maxPerHost = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(keyPair);
        if (keyPair.SecretKey is not { Length: 64 }) throw new ArgumentException("A server needs its 64-byte secret key.", nameof(keyPair));
        _keyPair = keyPair;
        _payload = payload;
        _firewall = firewall;
        _time = time ?? TimeProvider.System;
        _clearWait = clearWait ?? TimeSpan.FromSeconds(10);
        _maxPending = maxPending;
        _maxPerHost = maxPerHost;
        _admission = admission;
    }

    public byte[] PublicKey => _keyPair.PublicKey;

    public int Pending => _byMessage.Count;
    public long Answered { get; private set; }
    public long AnsweredAgain { get; private set; }
    public long RefusedUndecodable { get; private set; }
    public long RefusedByFirewall { get; private set; }
    public long RefusedTooMany { get; private set; }

    /// <summary>New handshakes refused because their client host holds MaxHandshakesPerHost already.</summary>
    public long RefusedPerHost { get; private set; }

    /// <summary>New handshakes refused by admission control (penalty box, per-address or per-prefix limits, no slot).</summary>
    public long RefusedByAdmission { get; private set; }

    /// <summary>Handshakes kept now for the client host of <paramref name="address"/>.</summary>
    public int PendingFrom(Ipv4EndPoint address) => _perHost.GetValueOrDefault(address.Address);

    /// <summary>
    /// Answers message 1. <paramref name="peerAddress"/> is the client as a relay saw it (null when the
    /// client sent to us directly); <paramref name="from"/>/<paramref name="to"/> are the datagram's source
    /// and our address as its sender addressed us. <paramref name="source"/> is the address the
    /// handshake counts against (per-host bound, admission); default the client's address. Null: no reply.
    /// </summary>
    public ServerHandshake? OnHandshake(byte[] noise, Ipv4EndPoint? peerAddress, Ipv4EndPoint from, Ipv4EndPoint to, KeyPair? ephemeral = null,
        Ipv4EndPoint? source = null)
    {
        Sweep();
        var key = Convert.ToHexStringLower(noise);
        if (_byMessage.TryGetValue(key, out var existing))
        {
            existing.Duplicates++;
            AnsweredAgain++;
            return existing;
        }
        if (_byMessage.Count >= _maxPending)
        {
            RefusedTooMany++;
            return null;
        }
        var charged = source ?? peerAddress ?? from;
        if (_perHost.GetValueOrDefault(charged.Address) >= _maxPerHost)
        {
            RefusedPerHost++;
            return null;
        }
        var chargedIp = charged.ToIPEndPoint().Address;
        if (_admission is not null && _admission.Check(chargedIp) != AdmissionRefusal.None)
        {
            RefusedByAdmission++;
            return null;
        }

        using var handshake = new NoiseIkHandshake(false, _keyPair, default, Namespaces.PeerHandshake, ephemeral);
        NoisePayload clientPayload;
        try
        {
            if (!NoisePayload.TryDecode(handshake.ReadMessage(noise), out clientPayload))
            {
                RefusedUndecodable++;
                return null;
            }
        }
        catch (NoiseHandshakeException)
        {
            RefusedUndecodable++;
            return null;
        }

        var clientKey = handshake.RemoteStaticKey!;
        var clientAddress = peerAddress ?? from;
        if (_firewall?.Invoke(clientKey, clientPayload, clientAddress) == true)
        {
            RefusedByFirewall++;
            return null;
        }

        var error = clientPayload.Version != 1 ? PayloadError.VersionMismatch : clientPayload.Udx is null ? PayloadError.Aborted : PayloadError.None;
        AdmissionTicket? ticket = null;
        if (_admission is not null && error == PayloadError.None)
        {
            var decision = _admission.TryAdmit(chargedIp);
            if (decision.Evicted is { } victim) ThreadPool.QueueUserWorkItem(v => v.RequestClose(), victim, preferLocal: false); // not under the caller's lock
            if (decision.Ticket is null)
            {
                RefusedByAdmission++;
                return null;
            }
            ticket = decision.Ticket;
        }
        try
        {
            return Answer(handshake, key, clientPayload, clientKey, clientAddress, peerAddress is null, to, error, charged.Address, ticket);
        }
        catch
        {
            if (ticket is not null) _admission!.Release(ticket, null);
            throw;
        }
    }

    private ServerHandshake Answer(NoiseIkHandshake handshake, string key, NoisePayload clientPayload, byte[] clientKey, Ipv4EndPoint clientAddress,
        bool direct, Ipv4EndPoint to, ulong error, uint source, AdmissionTicket? ticket)
    {
        var id = _slots.IndexOf(null);
        if (id < 0)
        {
            id = _slots.Count;
            _slots.Add(null);
        }
        var context = new HandshakeContext((ulong)id, clientPayload, clientKey, clientAddress, to, direct, error);
        var ours = _payload(context);
        if (error != PayloadError.None) ours = ours with { Error = error };

        var reply = handshake.WriteMessage(ours.Encode());
        var hs = new ServerHandshake((ulong)id, reply, handshake.Result!, clientPayload, ours, clientAddress, direct,
            _time.GetTimestamp() + (long)(_clearWait.TotalSeconds * _time.TimestampFrequency)) { Source = source, Ticket = ticket };
        _slots[id] = hs;
        _byMessage[key] = hs;
        _perHost[source] = _perHost.GetValueOrDefault(source) + 1;
        Answered++;
        return hs;
    }

    /// <summary>Keeps <paramref name="handshake"/> (and its holepunch slot) while its connection is being set up.</summary>
    public void Hold(ServerHandshake handshake) => handshake.Expires = long.MaxValue;

    /// <summary>The connection is up or given up: forget the handshake after HandshakeClearWait.</summary>
    public void Release(ServerHandshake handshake)
        => handshake.Expires = _time.GetTimestamp() + (long)(_clearWait.TotalSeconds * _time.TimestampFrequency);

    /// <summary>The handshake holding holepunch slot <paramref name="id"/>, if any.</summary>
    public ServerHandshake? BySlot(ulong id)
    {
        Sweep();
        return id < (ulong)_slots.Count ? _slots[(int)id] : null;
    }

    /// <summary>Forgets handshakes older than HandshakeClearWait and frees their slots.</summary>
    public void Sweep()
    {
        if (_byMessage.Count == 0) return;
        var now = _time.GetTimestamp();
        List<string>? expired = null;
        foreach (var (k, hs) in _byMessage)
            if (hs.Expires <= now) (expired ??= []).Add(k);
        if (expired is null) return;
        foreach (var k in expired)
        {
            var hs = _byMessage[k];
            _byMessage.Remove(k);
            _slots[(int)hs.HolepunchId] = null;
            if (_perHost.TryGetValue(hs.Source, out var n) && n > 1) _perHost[hs.Source] = n - 1;
            else _perHost.Remove(hs.Source);
        }
        while (_slots.Count > 0 && _slots[^1] is null) _slots.RemoveAt(_slots.Count - 1);
    }
}
