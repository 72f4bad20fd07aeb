// Answering (io.js _sendReply/relay; index.js _onrequest). Every node, ephemeral or not, answers the
// internal commands:
//   PING          empty reply
//   PING_NAT      empty reply sent to (source host, port from the value): tells the requester whether
//                 unsolicited datagrams reach its other socket
//   FIND_NODE     our closest nodes to the target (no target: no reply)
//   DOWN_HINT     "this node is down": we ping it (if it is in our table) and drop it if silent
//   DELAYED_PING  empty reply after the given delay (at most MaxPingDelay)
//   other         UNKNOWN_COMMAND
// Non-internal commands go to RequestHandler (hyperdht); without one, or if it declines,
// UNKNOWN_COMMAND. A reply carries our id only if we are persistent and it leaves our server socket.
using System.Buffers.Binary;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    private int _checks;

    private void OnRequest(DhtIncomingRequest request, bool external)
    {
        if (request.FromId is not null) AddNodeFromNetwork(!external, request.From, request.FromId, request.To);

        if (request.Internal)
        {
            var value = request.Value;
            switch (request.Command)
            {
                case DhtCommand.Ping:
                    SendReply(request, 0, null, false, false, request.From, request.Socket);
                    return;
                case DhtCommand.DelayedPing:
                    OnDelayedPing(request);
                    return;
                case DhtCommand.PingNat:
                {
                    if (value is null || value.Length < 2) return;
                    var port = BinaryPrimitives.ReadUInt16LittleEndian(value);
                    if (port == 0) return;
                    SendReply(request, 0, null, false, false, request.From with { Port = port }, request.Socket);
                    return;
                }
                case DhtCommand.FindNode:
                    if (request.Target is null) return;
                    SendReply(request, 0, null, false, true, request.From, request.Socket);
                    return;
                case DhtCommand.DownHint:
                    OnDownHint(request);
                    return;
            }
            SendReply(request, DhtErrorCode.UnknownCommand, null, false, request.Target is not null, request.From, request.Socket);
            return;
        }

        var handled = false;
        if (RequestHandler is { } handler)
        {
            try
            {
                handled = handler(request);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref Stats.handlerFaults);
                DhtLog.RequestHandlerFailed(_log, request.Command, e);
                return;
            }
        }
        if (!handled) SendReply(request, DhtErrorCode.UnknownCommand, null, false, request.Target is not null, request.From, request.Socket);
    }

    private void OnDelayedPing(DhtIncomingRequest request)
    {
        var value = request.Value;
        if (value is null || value.Length < 4) return;
        var delayMs = BinaryPrimitives.ReadUInt32LittleEndian(value);
        if (delayMs > _options.MaxPingDelay.TotalMilliseconds || _delayed.Count >= _options.MaxPendingDelayedPings) return;
        var due = _time.GetTimestamp() + Ticks(TimeSpan.FromMilliseconds(delayMs));
        _delayed.Add((due, () => SendReply(request, 0, null, false, false, request.From, request.Socket)));
    }

    private void OnDownHint(DhtIncomingRequest request)
    {
        var value = request.Value;
        if (value is null || value.Length < Ipv4EndPoint.Size) return;
        if (_checks < 10)
        {
            Span<byte> id = stackalloc byte[NodeId.Size];
            Blake2b.Hash(value.AsSpan(0, Ipv4EndPoint.Size), id);
            var node = Table.Get(id);
            if (node is not null && (node.Pinged < _tick || node.DownHints == 0))
            {
                node.DownHints++;
                Check(node);
            }
        }
        SendReply(request, 0, null, false, false, request.From, request.Socket);
    }

    internal void SendReply(DhtIncomingRequest request, ulong error, byte[]? value, bool token, bool closerNodes, Ipv4EndPoint to, IDatagramSocket socket)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var response = new DhtResponse
            {
                Tid = request.Tid,
                To = to,
                Id = !Ephemeral && socket == _server ? Table.Id : null,
                Token = token ? _tokens.Create(to, 1) : null,
                CloserNodes = request.Target is not null && closerNodes ? ClosestAddresses(request.Target) : null,
                Error = error,
                Value = value,
            };
            Transmit(socket, response.Encode(), to);
        }
    }

    internal void SendRelay(DhtIncomingRequest request, byte[]? value, Ipv4EndPoint to, IDatagramSocket socket)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var datagram = EncodeRequest(request.Tid, to, null, request.Internal, request.Command, request.Target, value, socket);
            Transmit(socket, datagram, to);
        }
    }

    private List<Ipv4EndPoint> ClosestAddresses(byte[] target)
    {
        var nodes = Table.Closest(target);
        var list = new List<Ipv4EndPoint>(nodes.Count);
        foreach (var n in nodes) list.Add(n.EndPoint);
        return list;
    }
}
