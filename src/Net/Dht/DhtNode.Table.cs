// Keeping the routing table fresh (index.js _addNodeFromNetwork, _addNode, _onfullrow, _pingSome,
// _check). Nodes enter only from messages that carry a valid id (so only persistent nodes, answering
// from the address their id is derived from); a message without an id from a bootstrap node still
// gives one NAT sample. Every 8 ticks the oldest nodes are pinged and silent ones removed; a full row
// pings its least recently pinged node and gives its place to the newcomer if it stays silent.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed partial class DhtNode
{
    private const int RecentNode = 12;
    private const int OldNode = 360;

    private readonly RecentNodes _nodes = new();
    private int _repinging;

    /// <summary>Nodes in the routing table, latest heard first.</summary>
    public List<Ipv4EndPoint> KnownNodes(int limit = int.MaxValue)
    {
        lock (_gate) return _nodes.LatestFirst(limit).ConvertAll(n => n.EndPoint);
    }

    /// <summary>Adds a node by address (dht-rpc addNode); its id is derived from the address.</summary>
    public void AddNode(Ipv4EndPoint endPoint)
    {
        lock (_gate) AddNode(new RoutingEntry(NodeId.FromEndPoint(endPoint), endPoint));
    }

    private void AddNodeFromNetwork(bool sample, Ipv4EndPoint from, byte[]? id, Ipv4EndPoint to)
    {
        if (_options.FilterNode is { } filter && !filter(from)) return;
        if (id is null)
        {
            SampleBootstrapMaybe(from, to);
            return;
        }

        var old = Table.Get(id);
        if (old is not null)
        {
            if (sample && (old.Sampled == 0 || _tick - old.Sampled >= OldNode))
            {
                old.To = to;
                old.Sampled = _tick;
                NatAdd(to);
            }
            old.Pinged = old.Seen = _tick;
            _nodes.Add(old);
            return;
        }

        AddNode(new RoutingEntry(id, from) { To = to });
    }

    private void AddNode(RoutingEntry node)
    {
        if (_nodes.Contains(node) || node.Id.AsSpan().SequenceEqual(Table.Id)) return;
        node.Added = node.Pinged = node.Seen = _tick;
        switch (Table.Add(node))
        {
            case RoutingTable.AddResult.Added:
            case RoutingTable.AddResult.Updated:
                break;
            case RoutingTable.AddResult.RowFull:
                OnFullRow(node);
                return;
            default:
                return;
        }
        _nodes.Add(node);
        if (node.To is { } to && node.Sampled == 0)
        {
            node.Sampled = _tick;
            NatAdd(to);
        }
    }

    private void RemoveNode(RoutingEntry node)
    {
        if (!_nodes.Contains(node)) return;
        Table.Remove(node.Id);
        _nodes.Remove(node);
    }

    private void OnFullRow(RoutingEntry newNode)
    {
        if (!Bootstrapped || _repinging >= 3) return;
        RoutingEntry? oldest = null;
        foreach (var node in Table.RowOf(newNode.Id))
        {
            if (node.Pinged == _tick) continue;
            if (oldest is null || oldest.Pinged > node.Pinged || (oldest.Pinged == node.Pinged && oldest.Added > node.Added)) oldest = node;
        }
        if (oldest is null) return;
        if (_tick - oldest.Pinged < RecentNode && _tick - oldest.Added > OldNode) return;
        RepingAndSwap(newNode, oldest);
    }

    private void RepingAndSwap(RoutingEntry newNode, RoutingEntry oldNode)
    {
        var lastSeen = oldNode.Seen;
        oldNode.Pinged = _tick;
        _repinging++;
        var req = CreateRequest(oldNode.EndPoint, null, null, true, DhtCommand.Ping, null, null);
        if (req is null) { _repinging--; return; }
        req.OnResponse = _ =>
        {
            if (oldNode.Seen <= lastSeen) Swap();
            else _repinging--;
        };
        req.OnError = _ => Swap();
        Send(req);

        void Swap()
        {
            _repinging--;
            RemoveNode(oldNode);
            AddNode(newNode);
        }
    }

    private void PingSome()
    {
        var count = _inflight.Count > 2 ? 3 : 5;
        var oldest = _nodes.Oldest;
        if (oldest is null)
        {
            Refresh();
            return;
        }
        if (_tick - oldest.Pinged < RecentNode) count = 2;
        while (count-- > 0)
        {
            if (oldest is null || _tick == oldest.Pinged) continue;
            var next = oldest.Next;
            Check(oldest);
            oldest = next;
        }
    }

    /// <summary>Pings a table node; removes it if silent, or if it answered but was not heard from since (index.js _check).</summary>
    private void Check(RoutingEntry node)
    {
        node.Pinged = _tick;
        var lastSeen = node.Seen;
        var req = CreateRequest(node.EndPoint, null, null, true, DhtCommand.Ping, null, null);
        if (req is null) return;
        _checks++;
        req.OnResponse = _ =>
        {
            _checks--;
            if (node.Seen <= lastSeen) RemoveNode(node);
        };
        req.OnError = _ =>
        {
            _checks--;
            RemoveNode(node);
        };
        Send(req);
    }
}
