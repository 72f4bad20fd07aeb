namespace Cabal.Cli.Client;

/// <summary>
/// The input line's history as neat-input keeps it: Up walks back, Down forward, and Down past the
/// newest entry restores the line being typed before walking (so nothing unsent is lost).
/// </summary>
public sealed class InputHistory(int capacity = 1000)
{
    private readonly List<string> _entries = [];
    private int _cursor = -1; // -1: not walking; else index into _entries
    private string _draft = "";

    public IReadOnlyList<string> Entries => _entries;

    public void Add(string line)
    {
        _cursor = -1;
        _draft = "";
        if (string.IsNullOrWhiteSpace(line)) return;
        if (_entries.Count > 0 && _entries[^1] == line) return;
        _entries.Add(line);
        if (_entries.Count > capacity) _entries.RemoveAt(0);
    }

    /// <summary>The older entry to show, or null to keep the line as is.</summary>
    public string? Previous(string current)
    {
        if (_entries.Count == 0) return null;
        if (_cursor == -1) { _draft = current; _cursor = _entries.Count - 1; }
        else if (_cursor > 0) _cursor--;
        else return null;
        return _entries[_cursor];
    }

    /// <summary>The newer entry, the saved draft when walking past the newest, or null when not walking.</summary>
    public string? Next()
    {
        if (_cursor == -1) return null;
        if (_cursor < _entries.Count - 1) return _entries[++_cursor];
        _cursor = -1;
        return _draft;
    }
}
