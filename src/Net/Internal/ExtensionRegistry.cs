// Extension name <-> id mapping of one scope (the stream, channel 0, or one feed channel), as
// abstract-extension 3.1.1 does it (spec/hypercore.md §8.4): local names are kept sorted in ordinal
// (UTF-16 code unit) order, which is JS's `<`; a local extension's id is its index in that list. An
// incoming id indexes the *sender's* last announced list, and the name is then looked up locally.
// (JS matches with a merge walk that silently fails on unsorted lists; a name lookup accepts those too.)
// Not thread-safe: the connection guards it with its lock.
namespace Cabal.Net.Internal;

internal sealed class ExtensionRegistry
{
    private readonly List<ProtocolExtension> _local = [];
    private string[]? _remoteNames;

    /// <summary>Bumped on every local change, so senders know when to re-announce.</summary>
    public int Version { get; private set; }

    public int Count => _local.Count;

    public IReadOnlyList<string> RemoteNames => _remoteNames ?? [];

    public void Add(ProtocolExtension extension)
    {
        var i = IndexOf(extension.Name);
        if (i >= 0) throw new ArgumentException($"An extension named '{extension.Name}' is already registered.", nameof(extension));
        _local.Insert(~i, extension);
        Version++;
    }

    public bool Remove(ProtocolExtension extension)
    {
        var i = IndexOf(extension.Name);
        if (i < 0 || !ReferenceEquals(_local[i], extension)) return false;
        _local.RemoveAt(i);
        Version++;
        return true;
    }

    /// <summary>The id to send <paramref name="extension"/> with, or -1 if it is no longer registered.</summary>
    public int IdOf(ProtocolExtension extension)
    {
        var i = IndexOf(extension.Name);
        return i >= 0 && ReferenceEquals(_local[i], extension) ? i : -1;
    }

    public string[] LocalNames()
    {
        var names = new string[_local.Count];
        for (var i = 0; i < names.Length; i++) names[i] = _local[i].Name;
        return names;
    }

    public void UpdateRemote(IEnumerable<string> names) => _remoteNames = names.ToArray();

    public ProtocolExtension? Resolve(ulong remoteId)
    {
        if (_remoteNames is null || remoteId >= (ulong)_remoteNames.Length) return null;
        var i = IndexOf(_remoteNames[remoteId]);
        return i >= 0 ? _local[i] : null;
    }

    public bool RemoteSupports(string name) => _remoteNames is not null && Array.IndexOf(_remoteNames, name) >= 0;

    private int IndexOf(string name)
    {
        int lo = 0, hi = _local.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_local[mid].Name, name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}
