// The node's async surface: single requests and iterative queries. Completions run asynchronously, so
// awaiting code never runs under the node's lock.
using System.Buffers.Binary;
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    /// <summary>Internal PING; resolves with the reply (dht-rpc ping).</summary>
    public Task<DhtReply> PingAsync(Ipv4EndPoint to, CancellationToken cancellationToken = default)
        => RequestAsync(to, new DhtRequestOptions { Internal = true, Command = DhtCommand.Ping }, cancellationToken);

    /// <summary>Internal DELAYED_PING: the node answers after <paramref name="delay"/>.</summary>
    public Task<DhtReply> DelayedPingAsync(Ipv4EndPoint to, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (delay > _options.MaxPingDelay) throw new ArgumentOutOfRangeException(nameof(delay), $"Delay exceeds max delay: {_options.MaxPingDelay}.");
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)delay.TotalMilliseconds);
        return RequestAsync(to, new DhtRequestOptions
        {
            Internal = true,
            Command = DhtCommand.DelayedPing,
            Value = value,
            AttemptTimeout = delay + TimeSpan.FromSeconds(1),
        }, cancellationToken);
    }

    /// <summary>
    /// Sends one request and resolves with the reply, whatever its error code; throws
    /// DhtRequestException when it times out (after Retries retransmissions) or is cancelled.
    /// </summary>
    public Task<DhtReply> RequestAsync(Ipv4EndPoint to, DhtRequestOptions request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Target is { Length: not NodeId.Size }) throw new ArgumentException($"A target is {NodeId.Size} bytes.", nameof(request));
        if (request.Token is { Length: not WriteTokens.Size }) throw new ArgumentException($"A token is {WriteTokens.Size} bytes.", nameof(request));
        var tcs = new TaskCompletionSource<DhtReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        PendingRequest? req;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            req = CreateRequest(to, null, request.Token, request.Internal, request.Command, request.Target, request.Value, socket: request.Socket, ttl: request.Ttl)
                ?? throw new InvalidOperationException("The node is not started.");
            req.Retries = request.Retries ?? _options.Retries;
            req.Timeout = request.AttemptTimeout;
            req.OnResponse = tcs.SetResult;
            req.OnError = e => tcs.TrySetException(e);
            Send(req);
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                lock (_gate) Destroy(req);
                tcs.TrySetCanceled(cancellationToken);
            });
            _ = tcs.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return tcs.Task;
    }

    /// <summary>Starts an iterative query for an application (non-internal) command (dht-rpc query()).</summary>
    public DhtQuery Query(byte[] target, ulong command, byte[]? value = null, DhtQueryOptions? options = null)
        => Query(target, false, command, value, options);

    /// <summary>An iterative FIND_NODE towards <paramref name="target"/>.</summary>
    public DhtQuery FindNode(byte[] target, DhtQueryOptions? options = null)
        => Query(target, true, DhtCommand.FindNode, null, options);

    private DhtQuery Query(byte[] target, bool @internal, ulong command, byte[]? value, DhtQueryOptions? options)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Length != NodeId.Size) throw new ArgumentException($"A target is {NodeId.Size} bytes.", nameof(target));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_server is null) throw new InvalidOperationException("The node is not started.");
            return StartQuery(target, @internal, command, value, options);
        }
    }

    /// <summary>Runs <paramref name="action"/> under the node's lock (for layers that keep state beside the node's).</summary>
    public void Invoke(Action action)
    {
        lock (_gate) action();
    }
}

/// <summary>One request to send with <see cref="DhtNode.RequestAsync"/>.</summary>
public sealed record DhtRequestOptions
{
    public bool Internal { get; init; }
    public ulong Command { get; init; }
    public byte[]? Target { get; init; }
    public byte[]? Token { get; init; }
    public byte[]? Value { get; init; }

    /// <summary>Retransmissions before REQUEST_TIMEOUT; default the node's Retries. 0: a single send.</summary>
    public int? Retries { get; init; }

    /// <summary>Fixed per-attempt timeout; default the node's (adaptive) timeout.</summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>Socket to send from; default the node's current socket.</summary>
    public IDatagramSocket? Socket { get; init; }

    /// <summary>IP TTL for the datagram; 0 = the system default.</summary>
    public int Ttl { get; init; }
}
