// An iterative Kademlia query (dht-rpc lib/query.js; spec/hyperswarm.md §2.7), run by its node under
// the node's lock:
//   1. seed a stack of nodes to visit: given nodes, else the table's closest, topped up with the
//      bootstrap nodes;
//   2. visit up to `concurrency` at a time (3 at first when seeded from given nodes, plus one per
//      request that has already timed out once: "slow" ones do not hold the query back);
//   3. each reply: remember it among the k closest if it carries an id; queue the closer nodes it
//      lists, stopping at the first one no closer than our k-th best; hand the reply to the consumer;
//   4. a request that times out marks its node down and tells the nodes that referred it (DOWN_HINT);
//   5. done when nothing is pending and nothing (but slow requests, with k replies) is in flight;
//   6. commit phase, if asked: one request per closest reply, built by the caller from the reply (so it
//      can carry that node's write token and sign over its id); the query fails only if all fail.
using System.Threading.Channels;
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

/// <summary>What a commit request sends to one of the closest nodes.</summary>
public readonly record struct DhtCommit(ulong Command, byte[]? Value);

public sealed class DhtQueryOptions
{
    /// <summary>Nodes to start from instead of the routing table (e.g. a previous query's closest nodes).</summary>
    public IReadOnlyList<Ipv4EndPoint>? Nodes { get; init; }

    /// <summary>Requests in flight; default the node's Concurrency.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Retransmissions per request; default the node's QueryRetries.</summary>
    public int? Retries { get; init; }

    /// <summary>
    /// Commit phase: for each of the (up to k) closest replies, the request to send it, with that
    /// reply's token. Return null to skip a reply (counts as failed).
    /// </summary>
    public Func<DhtReply, DhtCommit?>? Commit { get; init; }
}

public sealed class DhtQuery
{
    private static readonly object Done = new();
    private static readonly object Down = new();

    private readonly DhtNode _node;
    private readonly int _k;
    private readonly int _retries;
    private readonly Func<DhtReply, DhtCommit?>? _commit;
    private readonly Channel<DhtReply> _replies = Channel.CreateUnbounded<DhtReply>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<Ipv4EndPoint, object> _seen = [];
    private readonly List<(Ipv4EndPoint EndPoint, byte[] Id)> _pending = [];
    private readonly HashSet<PendingRequest> _requests = [];
    private readonly List<DhtReply> _closest = [];
    private readonly List<Ipv4EndPoint> _committed = [];
    private int _inflight;
    private int _slow;
    private bool _slowdown;
    private bool _fromTable;
    private bool _committing;
    private bool _finished;

    internal DhtQuery(DhtNode node, byte[] target, bool @internal, ulong command, byte[]? value, DhtQueryOptions? options, int k, int defaultConcurrency, int defaultRetries)
    {
        if (target.Length != NodeId.Size) throw new ArgumentException($"A query target is {NodeId.Size} bytes.", nameof(target));
        _node = node;
        Target = target;
        Internal = @internal;
        Command = command;
        Value = value;
        _k = k;
        Concurrency = options?.Concurrency ?? defaultConcurrency;
        _retries = options?.Retries ?? defaultRetries;
        _commit = options?.Commit;
        if (options?.Nodes is { } nodes)
            for (var i = nodes.Count - 1; i >= 0; i--) AddPending(nodes[i], NodeId.FromEndPoint(nodes[i]), null);
    }

    public byte[] Target { get; }
    public bool Internal { get; }
    public ulong Command { get; }
    public byte[]? Value { get; }

    /// <summary>May be changed while running (background queries speed up when the node is idle).</summary>
    public int Concurrency { get; set; }

    public int Successes { get; private set; }
    public int Errors { get; private set; }

    /// <summary>Nodes whose commit request was answered without error.</summary>
    public IReadOnlyList<Ipv4EndPoint> CommittedNodes { get { lock (_node.Gate) return [.. _committed]; } }

    /// <summary>Every reply with error 0, as it arrives. Completes when the query ends.</summary>
    public ChannelReader<DhtReply> Replies => _replies.Reader;

    /// <summary>Awaits the end of the query; cancelling <paramref name="cancellationToken"/> cancels the query.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.Register(Cancel);
        await Completion.ConfigureAwait(false);
    }

    /// <summary>Completes when the query (and its commit phase) ends; faults if the commit phase failed entirely.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Raised under the node's lock for every reply with error 0 (before it is queued to Replies).</summary>
    public event Action<DhtReply>? ReplyReceived;

    /// <summary>The (up to k) replies from persistent nodes closest to the target, closest first.</summary>
    public IReadOnlyList<DhtReply> ClosestReplies { get { lock (_node.Gate) return [.. _closest]; } }

    public IReadOnlyList<Ipv4EndPoint> ClosestNodes { get { lock (_node.Gate) return _closest.ConvertAll(r => r.From); } }

    /// <summary>Stops the query: requests in flight are cancelled, Completion faults with OperationCanceledException.</summary>
    public void Cancel()
    {
        lock (_node.Gate) Cancel(new OperationCanceledException("The query was cancelled."));
    }

    internal void Start(IReadOnlyList<RoutingEntry> tableClosest, IReadOnlyList<Ipv4EndPoint> bootstrap)
    {
        AddFromTable(tableClosest);
        if (_pending.Count < _k)
            foreach (var b in bootstrap) AddPending(b, NodeId.FromEndPoint(b), null);
        ReadMore();
    }

    private void AddFromTable(IReadOnlyList<RoutingEntry> closest)
    {
        if (_pending.Count >= _k) return;
        _fromTable = true;
        var n = Math.Min(closest.Count, _k - _pending.Count);
        for (var i = 0; i < n; i++) AddPending(closest[i].EndPoint, closest[i].Id, null);
    }

    private bool IsCloser(byte[] id)
        => _closest.Count < _k || NodeId.CompareDistance(id, _closest[^1].FromId!, Target) < 0;

    private bool AddPending(Ipv4EndPoint endPoint, byte[] id, Ipv4EndPoint? referrer)
    {
        var closer = IsCloser(id);
        if (_seen.TryGetValue(endPoint, out var state))
        {
            if (state == Done) return closer;
            if (state == Down)
            {
                if (referrer is { } r) SendDownHint(r, endPoint);
                return closer;
            }
            if (referrer is { } rf) ((List<Ipv4EndPoint>)state).Add(rf);
            return closer;
        }
        if (!closer) return false;
        _seen[endPoint] = referrer is { } f ? new List<Ipv4EndPoint> { f } : new List<Ipv4EndPoint>();
        _pending.Add((endPoint, id));
        return true;
    }

    private void ReadMore()
    {
        if (_finished || _committing) return;
        var concurrency = (_slowdown ? 3 : Concurrency) + _slow;
        while (_inflight < concurrency && _pending.Count > 0)
        {
            var next = _pending[^1];
            _pending.RemoveAt(_pending.Count - 1);
            if (!IsCloser(next.Id)) continue;
            Visit(next.EndPoint, next.Id);
            if (_finished) return;
        }

        if (!_fromTable && Successes == 0 && Errors == 0) _slowdown = true;
        if (_pending.Count > 0) return;

        if (_inflight == 0 || (_slow == _inflight && _closest.Count >= _k))
        {
            if (!_fromTable && Successes < _k / 4)
            {
                AddFromTable(_node.TableClosest(Target, _k - _pending.Count));
                if (_pending.Count > 0)
                {
                    ReadMore();
                    return;
                }
            }
            Flush();
        }
    }

    private void Visit(Ipv4EndPoint to, byte[] id)
    {
        _inflight++;
        var req = _node.CreateRequest(to, id, null, Internal, Command, Target, Value, this);
        if (req is null)
        {
            Cancel(new ObjectDisposedException(nameof(DhtNode)));
            return;
        }
        req.Retries = _retries;
        req.OnResponse = reply => OnVisit(req, reply);
        req.OnError = error => OnVisitError(req, error);
        req.OnCycle = OnCycle;
        _requests.Add(req);
        _node.Send(req);
    }

    private void Dec(PendingRequest req)
    {
        _requests.Remove(req);
        if (req.OnCycle is null) _slow--;
        else req.OnCycle = null;
        _inflight--;
    }

    private void OnCycle(PendingRequest req)
    {
        req.OnCycle = null;
        _slow++;
        ReadMore();
    }

    private void OnVisit(PendingRequest req, DhtReply reply)
    {
        Dec(req);
        _seen[req.To] = Done;
        if (_committing || _finished) return;

        if (reply.Error == 0) Successes++;
        else Errors++;

        if (reply.Error == 0 && reply.FromId is not null && IsCloser(reply.FromId)) PushClosest(reply);

        foreach (var node in reply.CloserNodes)
        {
            if (!_node.Allows(node)) continue;
            var id = NodeId.FromEndPoint(node);
            if (id.AsSpan().SequenceEqual(_node.TableId)) continue;
            if (!AddPending(node, id, reply.From)) break;
        }

        if (!_fromTable && Successes + Errors >= Concurrency) _slowdown = false;

        if (reply.Error == 0)
        {
            try { ReplyReceived?.Invoke(reply); }
            catch (Exception e) { DhtLog.CallbackFailed(_node.Logger, e); }
            _replies.Writer.TryWrite(reply);
        }
        ReadMore();
    }

    private void OnVisitError(PendingRequest req, DhtRequestException error)
    {
        if (_finished) return;
        if (error.Code == "REQUEST_TIMEOUT")
        {
            var refs = _seen.TryGetValue(req.To, out var s) ? s as List<Ipv4EndPoint> : null;
            _seen[req.To] = Down;
            if (refs is not null) foreach (var r in refs) SendDownHint(r, req.To);
        }
        Dec(req);
        Errors++;
        ReadMore();
    }

    private void SendDownHint(Ipv4EndPoint to, Ipv4EndPoint down) => _node.SendDownHint(to, down);

    private void PushClosest(DhtReply reply)
    {
        _closest.Add(reply);
        for (var i = _closest.Count - 2; i >= 0; i--)
        {
            var prev = _closest[i];
            var c = NodeId.CompareDistance(prev.FromId!, reply.FromId!, Target);
            if (c < 0) break;
            if (c == 0)
            {
                _closest.RemoveAt(i + 1);
                break;
            }
            _closest[i + 1] = prev;
            _closest[i] = reply;
        }
        if (_closest.Count > _k) _closest.RemoveAt(_closest.Count - 1);
    }

    private void Flush()
    {
        if (_committing) return;
        _committing = true;
        if (_commit is null)
        {
            End(null);
            return;
        }
        if (_closest.Count == 0)
        {
            End(new DhtQueryException("Too few nodes responded"));
            return;
        }

        var pending = _closest.Count;
        var succeeded = 0;
        Exception? lastError = null;
        foreach (var reply in _closest.ToList())
        {
            DhtCommit? commit = null;
            try { commit = reply.Token is null ? null : _commit(reply); }
            catch (Exception e) { lastError = e; }
            var req = commit is { } c ? _node.CreateRequest(reply.From, reply.FromId, reply.Token, false, c.Command, Target, c.Value) : null;
            if (req is null)
            {
                lastError ??= new DhtQueryException(reply.Token is null ? "No token received for closest node" : "Commit skipped");
                Settle(false);
                continue;
            }
            req.Retries = _node.Options.Retries;
            _requests.Add(req);
            req.OnResponse = r =>
            {
                _requests.Remove(req);
                if (r.Error != 0) lastError = new DhtErrorReplyException(r);
                else _committed.Add(r.From);
                Settle(r.Error == 0);
            };
            req.OnError = e =>
            {
                _requests.Remove(req);
                lastError = e;
                Settle(false);
            };
            _node.Send(req);
        }

        void Settle(bool ok)
        {
            if (ok) succeeded++;
            if (--pending > 0) return;
            End(succeeded > 0 ? null : lastError ?? new DhtQueryException("Every commit failed"));
        }
    }

    private void End(Exception? error)
    {
        if (_finished) return;
        _finished = true;
        _node.QueryEnded(this);
        _replies.Writer.TryComplete();
        if (error is null) _completion.TrySetResult();
        else _completion.TrySetException(error);
    }

    internal void Cancel(Exception error)
    {
        if (_finished) return;
        var requests = _requests.ToList();
        _requests.Clear();
        End(error);
        foreach (var r in requests) _node.Destroy(r);
    }
}

public sealed class DhtQueryException(string message) : Exception(message);
