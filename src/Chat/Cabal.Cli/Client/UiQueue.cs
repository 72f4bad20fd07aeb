using System.Collections.Concurrent;

namespace Cabal.Cli.Client;

/// <summary>
/// Work for the UI thread. Background tasks post here; the UI drains it on a timer (every 50 ms),
/// so bursts of updates arrive as one batch and one redraw, and the UI thread never waits for them.
/// </summary>
public sealed class UiQueue
{
    private readonly ConcurrentQueue<Action> _work = new();

    public void Post(Action action) => _work.Enqueue(action);

    public bool IsEmpty => _work.IsEmpty;

    /// <summary>Runs what is queued now (call on the UI thread). Returns how many ran.</summary>
    public int Drain(int max = 10_000)
    {
        var n = 0;
        while (n < max && _work.TryDequeue(out var a)) { a(); n++; }
        return n;
    }
}
