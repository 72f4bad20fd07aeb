// A bounded cache with two generations, as hyperdht's xache 1.3.0: entries are written to "latest";
// every ceil(2/3 × maxAge) (unless a size-triggered swap happened since) "latest" becomes "oldest" and
// the old "oldest" is dropped, so an entry lives 2/3–4/3 of maxAge after its last write. Reading an
// entry in "oldest" moves it back to "latest". Latest reaching maxSize swaps early. Retained entries
// never expire and cannot be overwritten by Set (a server's own route). Time comes from the caller
// (Sweep on the node's tick), so the cache itself is pure.
namespace Cabal.Net.HyperDht;

public sealed class GenerationalCache<TKey, TValue>(int maxSize, TimeSpan maxAge) where TKey : notnull
{
    private Dictionary<TKey, TValue> _latest = [];
    private Dictionary<TKey, TValue> _oldest = [];
    private readonly Dictionary<TKey, TValue> _retained = [];
    private GenerationSchedule _schedule = new(maxAge);

    public int Count => _latest.Count + _oldest.Count + _retained.Count;

    public void Set(TKey key, TValue value)
    {
        if (_retained.ContainsKey(key)) return;
        _latest[key] = value;
        _oldest.Remove(key);
        if (_latest.Count >= maxSize)
        {
            _schedule.Swapped();
            Swap();
        }
    }

    public void Retain(TKey key, TValue value)
    {
        _retained[key] = value;
        if (!_latest.Remove(key)) _oldest.Remove(key);
    }

    public bool Remove(TKey key) => _latest.Remove(key) || _oldest.Remove(key) || _retained.Remove(key);

    public bool TryGet(TKey key, out TValue value)
    {
        if (_latest.TryGetValue(key, out value!)) return true;
        if (_oldest.Remove(key, out value!))
        {
            _latest[key] = value;
            return true;
        }
        return _retained.TryGetValue(key, out value!);
    }

    /// <summary>Advances the cache's clock by <paramref name="elapsed"/>; swaps generations when due.</summary>
    public void Sweep(TimeSpan elapsed)
    {
        if (_schedule.IsDue(elapsed)) Swap();
    }

    private void Swap()
    {
        _oldest = _latest;
        _latest = [];
    }
}

/// <summary>
/// When a two-generation cache swaps: every ceil(2/3 × maxAge) of elapsed time, unless a swap for size
/// already happened in that period (Swapped) — hyperdht's _gcAuto.
/// </summary>
internal struct GenerationSchedule(TimeSpan maxAge)
{
    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(Math.Ceiling(maxAge.TotalMilliseconds * 2 / 3));
    private TimeSpan _since;
    private bool _swapped;

    public bool IsDue(TimeSpan elapsed)
    {
        _since += elapsed;
        if (_since < _interval) return false;
        _since = TimeSpan.Zero;
        var due = !_swapped;
        _swapped = false;
        return due;
    }

    public void Swapped() => _swapped = true;
}

/// <summary>
/// Announcement records per topic, as hyperdht's record-cache 1.2.0: fresh and stale generations per
/// the same 2/3-of-maxAge sweep, a total cap on fresh records (reaching it swaps early), one record per
/// (topic, public key). Beyond JS: at most maxPerTopic records per topic — a full topic makes room by
/// dropping one of its stale records, else refuses new keys (existing keys still refresh).
/// </summary>
public sealed class RecordCache(int maxSize, int maxPerTopic, TimeSpan maxAge, Random random)
{
    private sealed class RecordSet
    {
        public readonly List<(string Key, byte[] Record)> List = [];
        public readonly Dictionary<string, int> Index = [];

        public bool Add(string key, byte[] record, out bool replaced)
        {
            replaced = Index.TryGetValue(key, out var i);
            if (replaced)
            {
                List[i] = (key, record);
                return false;
            }
            Index[key] = List.Count;
            List.Add((key, record));
            return true;
        }

        public bool Remove(string key)
        {
            if (!Index.Remove(key, out var i)) return false;
            var last = List.Count - 1;
            if (i != last)
            {
                List[i] = List[last];
                Index[List[i].Key] = i;
            }
            List.RemoveAt(last);
            return true;
        }
    }

    private sealed class Store
    {
        public readonly Dictionary<string, RecordSet> Topics = [];
        public int Size;

        public RecordSet? Get(string topic) => Topics.GetValueOrDefault(topic);

        public bool Add(string topic, string key, byte[] record)
        {
            if (!Topics.TryGetValue(topic, out var set)) Topics[topic] = set = new RecordSet();
            if (!set.Add(key, record, out _)) return false;
            Size++;
            return true;
        }

        public bool Remove(string topic, string key)
        {
            if (!Topics.TryGetValue(topic, out var set) || !set.Remove(key)) return false;
            Size--;
            if (set.List.Count == 0) Topics.Remove(topic);
            return true;
        }
    }

    private Store _fresh = new();
    private Store _stale = new();
    private GenerationSchedule _schedule = new(maxAge);

    public int Count => _fresh.Size + _stale.Size;

    /// <summary>Records refused because their topic was full.</summary>
    public long Refused { get; private set; }

    public int CountFor(string topic) => (_fresh.Get(topic)?.List.Count ?? 0) + (_stale.Get(topic)?.List.Count ?? 0);

    public bool Add(string topic, string key, byte[] record)
    {
        var wasStale = _stale.Remove(topic, key);
        var known = wasStale || _fresh.Get(topic)?.Index.ContainsKey(key) == true;
        if (!known && CountFor(topic) >= maxPerTopic)
        {
            var stale = _stale.Get(topic);
            if (stale is null)
            {
                Refused++;
                return false;
            }
            _stale.Remove(topic, stale.List[random.Next(stale.List.Count)].Key);
        }
        if (_fresh.Add(topic, key, record) && _fresh.Size > maxSize)
        {
            _schedule.Swapped();
            Swap();
        }
        return true;
    }

    public void Remove(string topic, string key)
    {
        _fresh.Remove(topic, key);
        _stale.Remove(topic, key);
    }

    /// <summary>Up to <paramref name="n"/> records of the topic, picked at random from both generations.</summary>
    public List<byte[]> Get(string topic, int n)
    {
        var a = _fresh.Get(topic)?.List ?? [];
        var b = _stale.Get(topic)?.List ?? [];
        var total = a.Count + b.Count;
        n = Math.Min(n, total);
        var picks = new List<byte[]>(n);
        if (n == 0) return picks;
        var order = Enumerable.Range(0, total).ToArray();
        for (var i = 0; i < n; i++)
        {
            var j = i + random.Next(total - i);
            (order[i], order[j]) = (order[j], order[i]);
            picks.Add(order[i] < a.Count ? a[order[i]].Record : b[order[i] - a.Count].Record);
        }
        return picks;
    }

    public void Sweep(TimeSpan elapsed)
    {
        if (_schedule.IsDue(elapsed)) Swap();
    }

    private void Swap()
    {
        _stale = _fresh;
        _fresh = new Store();
    }
}
