// Kademlia routing table as kademlia-routing-table 1.0.6 builds it (spec/hyperswarm.md §2.5), so
// FIND_NODE replies list the same nodes in the same order as a JS node would:
//   * 256 rows; a node goes in the row of the first bit where its id differs from the table id
//     (row 0 = most significant bit; an identical id maps to row 255);
//   * a row holds at most k = 20 nodes, kept sorted by id; adding to a full row fails and reports
//     the row as full (the node then decides whether to ping out an old entry);
//   * closest(target, k): rows from diff(target) down to 0, then upward, nodes in row order — not an
//     exact XOR sort (queries sort replies themselves).
// One addition the JS table lacks: at most MaxNodesPerHost entries per IPv4 host, so one machine
// cannot fill the table with ids it mints by changing ports (routing-table poisoning). Loopback hosts
// are exempt when configured (a local testnet runs every node on 127.0.0.1; nothing off this machine
// can answer from a loopback address, and a node enters the table only by answering).
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed class RoutingTable
{
    public const int DefaultK = 20;

    private readonly List<RoutingEntry>?[] _rows;
    private readonly Dictionary<uint, int> _perHost = [];

    public RoutingTable(byte[] id, int k = DefaultK, int maxNodesPerHost = int.MaxValue, bool limitLoopback = false)
    {
        if (id.Length != NodeId.Size) throw new ArgumentException($"A table id is {NodeId.Size} bytes.", nameof(id));
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (maxNodesPerHost < 1) throw new ArgumentOutOfRangeException(nameof(maxNodesPerHost));
        Id = id;
        K = k;
        MaxNodesPerHost = maxNodesPerHost;
        LimitLoopback = limitLoopback;
        _rows = new List<RoutingEntry>?[id.Length * 8];
    }

    public byte[] Id { get; }
    public int K { get; }
    public int MaxNodesPerHost { get; }
    public bool LimitLoopback { get; }
    public int Count { get; private set; }

    /// <summary>Nodes refused because their host already had MaxNodesPerHost entries.</summary>
    public long RefusedByHostLimit { get; private set; }

    public enum AddResult { Added, Updated, RowFull, HostLimit }

    /// <summary>Adds or replaces (same id) a node. RowFull: the caller may evict an old node and retry.</summary>
    public AddResult Add(RoutingEntry node)
    {
        var i = RowIndex(node.Id);
        var row = _rows[i] ??= [];
        var at = Find(row, node.Id, i >> 3);
        if (at >= 0)
        {
            var old = row[at];
            if (old.EndPoint.Address != node.EndPoint.Address)
            {
                if (!HasHostRoom(node.EndPoint)) { RefusedByHostLimit++; return AddResult.HostLimit; }
                UncountHost(old.EndPoint);
                CountHost(node.EndPoint);
            }
            row[at] = node;
            return AddResult.Updated;
        }
        if (row.Count >= K) return AddResult.RowFull;
        if (!HasHostRoom(node.EndPoint))
        {
            RefusedByHostLimit++;
            return AddResult.HostLimit;
        }
        row.Insert(~at, node);
        CountHost(node.EndPoint);
        Count++;
        return AddResult.Added;
    }

    public bool Remove(ReadOnlySpan<byte> id)
    {
        var i = RowIndex(id);
        var row = _rows[i];
        if (row is null) return false;
        var at = Find(row, id, i >> 3);
        if (at < 0) return false;
        UncountHost(row[at].EndPoint);
        row.RemoveAt(at);
        Count--;
        return true;
    }

    public RoutingEntry? Get(ReadOnlySpan<byte> id)
    {
        var i = RowIndex(id);
        var row = _rows[i];
        if (row is null) return null;
        var at = Find(row, id, i >> 3);
        return at >= 0 ? row[at] : null;
    }

    /// <summary>The nodes of the row <paramref name="id"/> would go into.</summary>
    public IReadOnlyList<RoutingEntry> RowOf(ReadOnlySpan<byte> id) => _rows[RowIndex(id)] ?? (IReadOnlyList<RoutingEntry>)[];

    public List<RoutingEntry> Closest(ReadOnlySpan<byte> target, int k = 0)
    {
        if (k <= 0) k = K;
        var result = new List<RoutingEntry>(Math.Min(k, Count));
        var d = RowIndex(target);
        for (var i = d; i >= 0 && result.Count < k; i--) Take(i, k, result);
        for (var i = d + 1; i < _rows.Length && result.Count < k; i++) Take(i, k, result);
        return result;
    }

    public List<RoutingEntry> ToList() => Closest(Id, int.MaxValue);

    public RoutingEntry? Random(Random random)
    {
        if (Count == 0) return null;
        var n = random.Next(Count);
        foreach (var row in _rows)
        {
            if (row is null) continue;
            if (n < row.Count) return row[n];
            n -= row.Count;
        }
        return null;
    }

    private void Take(int i, int k, List<RoutingEntry> result)
    {
        var row = _rows[i];
        if (row is null) return;
        var n = Math.Min(k - result.Count, row.Count);
        for (var j = 0; j < n; j++) result.Add(row[j]);
    }

    private int RowIndex(ReadOnlySpan<byte> id)
    {
        for (var i = 0; i < Id.Length; i++)
        {
            var x = id[i] ^ Id[i];
            if (x != 0) return i * 8 + System.Numerics.BitOperations.LeadingZeroCount((uint)x) - 24;
        }
        return _rows.Length - 1;
    }

    // Binary search by id, comparing from the row's first differing byte on (earlier bytes are equal
    // within a row). Returns the index, or the bitwise complement of the insertion point.
    private static int Find(List<RoutingEntry> row, ReadOnlySpan<byte> id, int offset)
    {
        int l = 0, r = row.Count - 1;
        while (l <= r)
        {
            var m = (l + r) >> 1;
            var c = id[offset..].SequenceCompareTo(row[m].Id.AsSpan(offset));
            if (c == 0) return m;
            if (c < 0) r = m - 1;
            else l = m + 1;
        }
        return ~l;
    }

    private bool IsLimited(Ipv4EndPoint e) => LimitLoopback || !e.IsLoopback;

    private bool HasHostRoom(Ipv4EndPoint e)
        => !IsLimited(e) || !_perHost.TryGetValue(e.Address, out var n) || n < MaxNodesPerHost;

    private void CountHost(Ipv4EndPoint e)
    {
        if (!IsLimited(e)) return;
        _perHost[e.Address] = _perHost.GetValueOrDefault(e.Address) + 1;
    }

    private void UncountHost(Ipv4EndPoint e)
    {
        if (!IsLimited(e)) return;
        if (_perHost.TryGetValue(e.Address, out var n))
        {
            if (n <= 1) _perHost.Remove(e.Address);
            else _perHost[e.Address] = n - 1;
        }
    }
}
