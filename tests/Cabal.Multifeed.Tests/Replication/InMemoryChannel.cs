using System.Threading.Channels;
using Cabal.Multifeed.Replication;
using Cabal.Net.Protocol;
using Google.Protobuf;

namespace Cabal.Multifeed.Tests.Replication;

/// <summary>
/// One direction of an in-memory feed channel. Messages go through the real protobuf encoding and
/// are delivered one at a time, in order, as a connection's read loop would.
/// </summary>
internal sealed class InMemoryChannel(string remoteId) : IFeedChannel
{
    private readonly Channel<IMessage> _queue = Channel.CreateUnbounded<IMessage>();
    private Task? _pump;

    public InMemoryChannel? Other { get; set; }
    public FeedPeer? Target { get; set; }
    public Func<IMessage, IMessage>? Tamper { get; set; }
    public string RemoteId { get; } = remoteId;
    public bool RemoteAck => Other?.LocalAck ?? false;
    public bool LocalAck { get; private set; }
    public string? ClosedReason { get; private set; }
    public int Sent;

    public void Send(IMessage message)
    {
        Interlocked.Increment(ref Sent);
        var type = ProtocolMessage.TypeOf(message);
        var copy = ProtocolMessage.Decode(1, type, new System.Buffers.ReadOnlySequence<byte>(message.ToByteArray()))!;
        _queue.Writer.TryWrite(Tamper?.Invoke(copy) ?? copy);
    }

    public void SetLocalAck(bool ack) => LocalAck = ack;

    public void Close(string reason)
    {
        ClosedReason ??= reason;
        _queue.Writer.TryComplete();
        Other?.Target?.OnClosed();
    }

    public void StartPump() => _pump = Task.Run(async () =>
    {
        await foreach (var m in _queue.Reader.ReadAllAsync()) Target!.OnMessage(m);
    });

    /// <summary>Connects two feeds' peers; returns (a→b channel, b→a channel).</summary>
    public static (InMemoryChannel AtoB, InMemoryChannel BtoA, FeedPeer A, FeedPeer B) Connect(Replicator ra, Feed fa, Replicator rb, Feed fb, ReplicationOptions? oa = null, ReplicationOptions? ob = null, RequestBudget? budgetB = null)
    {
        // A's sends are delivered to B's peer and vice versa; each side sees the other's id.
        var aToB = new InMemoryChannel("peer-b");
        var bToA = new InMemoryChannel("peer-a");
        aToB.Other = bToA; bToA.Other = aToB;
        var a = ra.Attach(fa, aToB, oa);
        var b = rb.Attach(fb, bToA, ob, budgetB);
        aToB.Target = b; bToA.Target = a;
        aToB.StartPump(); bToA.StartPump();
        a.Start(); b.Start();
        return (aToB, bToA, a, b);
    }
}
