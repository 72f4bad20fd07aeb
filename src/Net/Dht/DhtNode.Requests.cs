// Our requests (io.js createRequest/send/oncycle): a tid from a counter that starts at a random value
// and wraps at 65536 (skipping tids still in flight), the datagram encoded once and retransmitted
// unchanged, one attempt timeout per send (adaptive per address, or the request's own), and after
// Retries retransmissions a REQUEST_TIMEOUT — which also drops the node from the routing table. Sends
// beyond the congestion window wait in a FIFO until a 750-ms drain makes room.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(750);

    private readonly Dictionary<ushort, PendingRequest> _inflight = [];
    private readonly Queue<PendingRequest> _deferred = new();
    private readonly CongestionWindow _congestion;
    private readonly AdaptiveTimeouts _timeouts;
    private WriteTokens _tokens;
    private readonly List<(long Due, Action Action)> _delayed = [];
    private ushort _tid;
    private int _rotateSecrets = 10;
    private long _nextDrainAt;

    /// <summary>Fixes the token secrets (test vectors).</summary>
    internal void SetTokenSecrets(byte[] secret0, byte[] secret1)
    {
        lock (_gate) _tokens = new WriteTokens(secret0, secret1);
    }

    /// <summary>Requests in flight.</summary>
    public int InflightCount { get { lock (_gate) return _inflight.Count; } }

    internal PendingRequest? CreateRequest(Ipv4EndPoint to, byte[]? toId, byte[]? token, bool @internal, ulong command, byte[]? target, byte[]? value,
        DhtQuery? query = null, IDatagramSocket? socket = null, int ttl = 0)
    {
        if (_disposed || _server is null) return null;
        var tid = _tid;
        while (_inflight.ContainsKey(tid)) tid++;
        _tid = (ushort)(tid + 1);
        var request = new PendingRequest
        {
            Tid = tid,
            To = to,
            ToId = toId,
            Socket = socket ?? (Firewalled ? _client! : _server),
            Token = token,
            Internal = @internal,
            Command = command,
            Target = target,
            Value = value,
            Ttl = ttl,
            Retries = _options.Retries,
            Query = query,
        };
        _inflight.Add(tid, request);
        return request;
    }

    /// <summary>First send, or deferral while the congestion window is full (io.js send).</summary>
    internal void Send(PendingRequest request, bool force = false)
    {
        if (request.Done) return;
        if (!force && _congestion.IsFull)
        {
            request.Deferred = true;
            _deferred.Enqueue(request);
            return;
        }
        SendNow(request);
    }

    private void SendNow(PendingRequest request)
    {
        if (request.Done) return;
        request.Deferred = false;
        request.Datagram ??= EncodeRequest(request.Tid, request.To, request.Token, request.Internal, request.Command, request.Target, request.Value, request.Socket);
        var now = _time.GetTimestamp();
        if (request.Sent == 0) request.FirstSentAt = now;
        request.Sent++;
        request.SentAt = now;
        _congestion.Send();
        Transmit(request.Socket, request.Datagram, request.To, request.Ttl);
        var timeout = request.Timeout ?? _timeouts.Get(request.To, request.Sent);
        request.Deadline = now + Ticks(timeout);
    }

    private byte[] EncodeRequest(ushort tid, Ipv4EndPoint to, byte[]? token, bool @internal, ulong command, byte[]? target, byte[]? value, IDatagramSocket socket)
        => new DhtRequest
        {
            Tid = tid,
            To = to,
            Id = !Ephemeral && socket == _server ? Table.Id : null,
            Token = token,
            Internal = @internal,
            Command = command,
            Target = target,
            Value = value,
        }.Encode();

    private void Transmit(IDatagramSocket socket, byte[] datagram, Ipv4EndPoint to, int ttl = 0)
    {
        Interlocked.Increment(ref Stats.sent);
        if (!socket.TrySend(datagram, to.ToIPEndPoint(), ttl)) Interlocked.Increment(ref Stats.sendFailures);
    }

    private void Finish(PendingRequest request)
    {
        request.Done = true;
        request.Deadline = long.MaxValue;
        _inflight.Remove(request.Tid);
    }

    /// <summary>Cancels a request: no more sends, OnError(REQUEST_DESTROYED).</summary>
    internal void Destroy(PendingRequest request, DhtRequestException? error = null)
    {
        if (request.Done) return;
        Finish(request);
        if (!request.Deferred) _congestion.Received();
        if (request.OnError is { } onError) SafeInvoke(() => onError(error ?? DhtRequestException.Destroyed()));
    }

    /// <summary>Runs everything that is due: retransmissions and timeouts, the send window, ticks, delayed replies.</summary>
    public void Poll()
    {
        lock (_gate)
        {
            if (_disposed || _server is null) return;
            var now = _time.GetTimestamp();

            List<PendingRequest>? due = null;
            foreach (var r in _inflight.Values)
                if (r.Deadline <= now) (due ??= []).Add(r);
            if (due is not null)
                foreach (var r in due) OnAttemptTimeout(r);

            if (now >= _nextDrainAt)
            {
                _nextDrainAt = now + Ticks(DrainInterval);
                Drain();
            }

            if (_delayed.Count > 0)
            {
                for (var i = 0; i < _delayed.Count; i++)
                {
                    if (_delayed[i].Due > now) continue;
                    var action = _delayed[i].Action;
                    _delayed.RemoveAt(i--);
                    SafeInvoke(action);
                }
            }

            if (now >= _nextTickAt)
            {
                _nextTickAt = now + Ticks(_options.TickInterval);
                OnTick(now);
            }
        }
    }

    private void OnAttemptTimeout(PendingRequest request)
    {
        if (request.Done) return;
        request.Deadline = long.MaxValue;
        if (request.OnCycle is { } onCycle) SafeInvoke(() => onCycle(request));
        if (request.Done) return;
        if (request.Sent > request.Retries)
        {
            Interlocked.Increment(ref Stats.timeouts);
            Destroy(request, DhtRequestException.Timeout(request.To));
            if (request.ToId is not null && Table.Get(request.ToId) is { } node) RemoveNode(node);
            return;
        }
        Interlocked.Increment(ref Stats.retries);
        Send(request);
    }

    private void Drain()
    {
        if (--_rotateSecrets == 0)
        {
            _rotateSecrets = 10;
            _tokens.Rotate();
        }
        _congestion.Drain();
        while (!_congestion.IsFull && _deferred.TryDequeue(out var next)) SendNow(next);
    }
}
