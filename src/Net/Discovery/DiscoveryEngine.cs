// The decisions of LAN discovery, without sockets or timers of its own (time comes from a
// TimeProvider), so every rule is unit-testable:
//   * what to send and when: a query on join, then one announcement per topic every AnnounceInterval,
//     plus replies to queries, all rate-limited per topic by MinAnnounceInterval;
//   * whom to dial: peers on a topic we joined, never ourselves, not ones we are connected to; of two
//     peers, the one with the smaller id dials (the connection the duplicate rule keeps anyway), the other
//     only after DialGrace without a connection.
// The address to dial is the datagram's source address with the announced port, never an address taken
// from the payload, so a forged packet cannot point us at a third host.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Discovery;

public sealed class DiscoveryEngine
{
    private readonly Lock _gate = new();
    private readonly byte[] _peerId;
    private readonly LanDiscoveryOptions _options;
    private readonly Func<byte[], bool> _isConnected;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, TopicState> _topics = [];
    private readonly Dictionary<(string Peer, string Topic), PeerState> _peers = [];

    private sealed class TopicState(byte[] topic, int port)
    {
        public byte[] Topic { get; } = topic;
        public int Port { get; set; } = port;
        public bool QueryPending { get; set; } = true;
        public bool ReplyRequested { get; set; }
        public long? LastSent { get; set; }
    }

    private sealed class PeerState(IPEndPoint endPoint, long now)
    {
        public IPEndPoint EndPoint { get; set; } = endPoint;
        public long FirstSeen { get; set; } = now;
        public long LastSeen { get; set; } = now;
        public long? LastReported { get; set; }
    }

    /// <param name="peerId">Our id in packets: this process's Noise static public key (32 bytes).</param>
    /// <param name="isConnected">Whether an established connection to a peer id exists (e.g. ConnectionManager.IsConnectedTo).</param>
    public DiscoveryEngine(ReadOnlySpan<byte> peerId, LanDiscoveryOptions? options = null, Func<byte[], bool>? isConnected = null, TimeProvider? time = null)
    {
        if (peerId.Length != DiscoveryCodec.KeySize) throw new ArgumentException($"The peer id must be {DiscoveryCodec.KeySize} bytes.", nameof(peerId));
        _peerId = peerId.ToArray();
        _options = options ?? new LanDiscoveryOptions();
        _options.Validate();
        _isConnected = isConnected ?? (_ => false);
        _time = time ?? TimeProvider.System;
    }

    public byte[] PeerId => _peerId;

    /// <summary>Announces <paramref name="topic"/> (a discovery key) with our TCP <paramref name="port"/> (0: only look for others).</summary>
    public void Join(ReadOnlySpan<byte> topic, int port)
    {
        if (topic.Length != DiscoveryCodec.KeySize) throw new ArgumentException($"A topic is a {DiscoveryCodec.KeySize}-byte discovery key.", nameof(topic));
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        var key = Convert.ToHexStringLower(topic);
        lock (_gate)
        {
            if (_topics.TryGetValue(key, out var existing)) existing.Port = port;
            else _topics.Add(key, new TopicState(topic.ToArray(), port));
        }
    }

    public bool Leave(ReadOnlySpan<byte> topic)
    {
        var key = Convert.ToHexStringLower(topic);
        lock (_gate)
        {
            foreach (var peer in _peers.Keys.Where(k => k.Topic == key).ToList()) _peers.Remove(peer);
            return _topics.Remove(key);
        }
    }

    /// <summary>
    /// Handles a decoded datagram from <paramref name="source"/>; returns the peers to dial now (usually
    /// none). Never throws for anything a remote can put in a packet.
    /// </summary>
    public IReadOnlyList<DiscoveredPeer> Receive(DiscoveryPacket packet, IPAddress source)
    {
        if (packet.PeerId.AsSpan().SequenceEqual(_peerId)) return []; // our own datagram, looped back
        if (NormaliseSource(source) is not { } from) return [];

        var now = _time.GetTimestamp();
        var peerKey = Convert.ToHexStringLower(packet.PeerId);
        var weAreSmaller = _peerId.AsSpan().SequenceCompareTo(packet.PeerId) < 0;
        var result = new List<DiscoveredPeer>();
        lock (_gate)
        {
            Prune(now);
            foreach (var topic in packet.Topics)
            {
                if (!_topics.TryGetValue(Convert.ToHexStringLower(topic), out var mine)) continue;
                if (packet.Type == DiscoveryPacketType.Query) mine.ReplyRequested = true;
                if (packet.Port == 0) continue;

                var endPoint = new IPEndPoint(from, packet.Port);
                var id = (peerKey, Convert.ToHexStringLower(topic));
                if (!_peers.TryGetValue(id, out var peer))
                {
                    if (_peers.Count >= _options.MaxTrackedPeers) continue;
                    _peers.Add(id, peer = new PeerState(endPoint, now));
                }
                else if (!peer.EndPoint.Equals(endPoint))
                {
                    // Restarted or moved: a new sighting.
                    peer.EndPoint = endPoint;
                    peer.FirstSeen = now;
                    peer.LastReported = null;
                }
                peer.LastSeen = now;

                var mayDial = weAreSmaller || _time.GetElapsedTime(peer.FirstSeen, now) >= _options.DialGrace;
                var recentlyReported = peer.LastReported is { } last && _time.GetElapsedTime(last, now) < _options.RedialInterval;
                if (!mayDial || recentlyReported || _isConnected(packet.PeerId)) continue;
                peer.LastReported = now;
                result.Add(new DiscoveredPeer(endPoint, packet.PeerId, mine.Topic));
            }
        }
        return result;
    }

    /// <summary>Packets due now (queries, periodic announcements, rate-limited replies); call it periodically.</summary>
    public IReadOnlyList<DiscoveryPacket> TakeDue()
    {
        var now = _time.GetTimestamp();
        var due = new List<(DiscoveryPacketType Type, int Port, byte[] Topic)>();
        lock (_gate)
        {
            foreach (var t in _topics.Values)
            {
                var sinceLast = t.LastSent is { } last ? _time.GetElapsedTime(last, now) : TimeSpan.MaxValue;
                if (sinceLast < _options.MinAnnounceInterval) continue;
                if (t.QueryPending)
                {
                    due.Add((DiscoveryPacketType.Query, t.Port, t.Topic));
                    t.QueryPending = false;
                }
                else if (t.Port != 0 && (t.ReplyRequested || sinceLast >= _options.AnnounceInterval))
                {
                    due.Add((DiscoveryPacketType.Announce, t.Port, t.Topic));
                }
                else continue;
                t.ReplyRequested = false;
                t.LastSent = now;
            }
        }

        return due.GroupBy(d => (d.Type, d.Port))
            .SelectMany(g => g.Select(d => d.Topic).Chunk(DiscoveryCodec.MaxTopicsPerPacket)
                .Select(topics => new DiscoveryPacket(g.Key.Type, _peerId, g.Key.Port, topics)))
            .ToList();
    }

    /// <summary>Only a unicast IPv4 source can be dialled back; anything else is ignored.</summary>
    private static IPAddress? NormaliseSource(IPAddress source)
    {
        var ip = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        if (ip.AddressFamily != AddressFamily.InterNetwork) return null;
        var first = ip.GetAddressBytes()[0];
        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.Broadcast) || first >= 224) return null;
        return ip;
    }

    private void Prune(long now)
    {
        List<(string, string)>? stale = null;
        foreach (var (id, peer) in _peers)
            if (_time.GetElapsedTime(peer.LastSeen, now) >= _options.PeerExpiry) (stale ??= []).Add(id);
        if (stale is not null) foreach (var id in stale) _peers.Remove(id);
    }
}
