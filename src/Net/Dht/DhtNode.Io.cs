// Receiving (io.js onmessage): every datagram that is not UDX ends up here, from any of our sockets.
//   * shorter than 2 bytes, from port 0, or not IPv4: dropped;
//   * persistent nodes rate-limit requests per source host before decoding;
//   * 0x03 request: decoded; a claimed id is kept only if it is the source's id; a token, if present,
//     must be one we issued to that host (else INVALID_TOKEN with a fresh token); then handled;
//   * 0x13 response: matched by tid to a request in flight, which must have been sent to exactly the
//     responding address (dht-rpc matches by tid alone; we also refuse a reply from elsewhere);
//   * anything else: dropped and counted.
using System.Net;
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    private HashSet<uint>? _serverSocketHosts;

    private void OnDatagram(IDatagramSocket socket, ReadOnlySpan<byte> data, IPEndPoint source)
    {
        Interlocked.Increment(ref Stats.received);
        if (data.Length < 2 || source.Port == 0 || !Ipv4EndPoint.TryFromIPEndPoint(source, out var from))
        {
            Interlocked.Increment(ref Stats.tooShort);
            return;
        }
        OnDatagram(socket, data, from);
    }

    /// <summary>Processes one datagram received on <paramref name="socket"/> (also the entry point for extra sockets such as hyperdht's holepunch sockets).</summary>
    public void OnDatagram(IDatagramSocket socket, ReadOnlySpan<byte> data, Ipv4EndPoint from)
    {
        if (data.Length < 2 || from.Port == 0)
        {
            Interlocked.Increment(ref Stats.tooShort);
            return;
        }
        lock (_gate)
        {
            if (_disposed) return;
            if (socket == _server) _serverSocketHosts?.Add(from.Address);
            var external = socket != (Firewalled ? _client : _server);

            if (data[0] == DhtWire.RequestType)
            {
                if (!Ephemeral && !_rateLimiter.TryAcquire(from.Address, NowMs))
                {
                    Interlocked.Increment(ref Stats.rateLimited);
                    return;
                }
                if (!DhtRequest.TryDecode(data, out var request))
                {
                    Interlocked.Increment(ref Stats.malformed);
                    return;
                }
                Interlocked.Increment(ref Stats.requests);
                if (request.Id is not null && !NodeId.Matches(request.Id, from))
                {
                    request.Id = null;
                    Interlocked.Increment(ref Stats.badIds);
                }
                var incoming = new DhtIncomingRequest(this, socket, from, request);
                if (request.Token is not null && !_tokens.IsValid(from, request.Token))
                {
                    Interlocked.Increment(ref Stats.invalidTokens);
                    incoming.Error(DhtErrorCode.InvalidToken, token: true);
                    return;
                }
                OnRequest(incoming, external);
                return;
            }

            if (data[0] == DhtWire.ResponseType)
            {
                if (!DhtResponse.TryDecode(data, out var response))
                {
                    Interlocked.Increment(ref Stats.malformed);
                    return;
                }
                if (!_inflight.TryGetValue(response.Tid, out var pending))
                {
                    Interlocked.Increment(ref Stats.unmatched);
                    return;
                }
                if (pending.To != from)
                {
                    Interlocked.Increment(ref Stats.wrongSender);
                    return;
                }
                if (response.Id is not null && !NodeId.Matches(response.Id, from))
                {
                    response.Id = null;
                    Interlocked.Increment(ref Stats.badIds);
                }
                Interlocked.Increment(ref Stats.responses);
                OnResponse(pending, response, from, external);
                return;
            }

            Interlocked.Increment(ref Stats.unknownType);
        }
    }

    private void OnResponse(PendingRequest pending, DhtResponse response, Ipv4EndPoint from, bool external)
    {
        var now = _time.GetTimestamp();
        var rtt = _time.GetElapsedTime(pending.FirstSentAt, now);
        if (pending.Sent <= 2) _timeouts.Put(pending.To, _time.GetElapsedTime(pending.SentAt, now));
        Finish(pending);
        _congestion.Received();

        var reply = new DhtReply(response, from, rtt);
        AddNodeFromNetwork(!external, from, response.Id, response.To);
        if (pending.OnResponse is { } onResponse) SafeInvoke(() => onResponse(reply));
    }
}
