using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

/// <summary>
/// A node in the routing table, with the bookkeeping dht-rpc keeps per node (index.js): ticks when
/// it was added, last pinged and last heard from, when it last gave us a NAT sample, and down hints.
/// Also a link in the time-ordered list of nodes (oldest heard → latest heard).
/// </summary>
public sealed class RoutingEntry(byte[] id, Ipv4EndPoint endPoint)
{
    public byte[] Id { get; } = id;

    public Ipv4EndPoint EndPoint { get; } = endPoint;

    /// <summary>Our address as this node saw it, from the message that added it (a NAT sample).</summary>
    public Ipv4EndPoint? To { get; set; }

    public long Added { get; set; }
    public long Pinged { get; set; }
    public long Seen { get; set; }
    public long Sampled { get; set; }
    public int DownHints { get; set; }

    internal RoutingEntry? Prev { get; set; }
    internal RoutingEntry? Next { get; set; }
    internal bool Listed { get; set; }

    public override string ToString() => $"{EndPoint} {Convert.ToHexStringLower(Id.AsSpan(0, 4))}…";
}

/// <summary>
/// dht-rpc's time-ordered set (time-ordered-set 2): a doubly linked list of table nodes, oldest heard
/// first. Adding a present node moves it to the latest end.
/// </summary>
public sealed class RecentNodes
{
    public RoutingEntry? Oldest { get; private set; }
    public RoutingEntry? Latest { get; private set; }
    public int Count { get; private set; }

    public bool Contains(RoutingEntry node) => node.Listed;

    public void Add(RoutingEntry node)
    {
        if (node.Listed)
        {
            if (node == Latest) return;
            Unlink(node);
        }
        node.Listed = true;
        node.Prev = Latest;
        node.Next = null;
        if (Latest is not null) Latest.Next = node;
        Latest = node;
        Oldest ??= node;
        Count++;
    }

    public void Remove(RoutingEntry node)
    {
        if (!node.Listed) return;
        Unlink(node);
        node.Listed = false;
    }

    private void Unlink(RoutingEntry node)
    {
        if (node.Prev is not null) node.Prev.Next = node.Next;
        else Oldest = node.Next;
        if (node.Next is not null) node.Next.Prev = node.Prev;
        else Latest = node.Prev;
        node.Prev = node.Next = null;
        Count--;
    }

    /// <summary>Latest first, at most <paramref name="limit"/>.</summary>
    public List<RoutingEntry> LatestFirst(int limit)
    {
        var list = new List<RoutingEntry>(Math.Min(limit, Count));
        for (var n = Latest; n is not null && list.Count < limit; n = n.Prev) list.Add(n);
        return list;
    }
}
