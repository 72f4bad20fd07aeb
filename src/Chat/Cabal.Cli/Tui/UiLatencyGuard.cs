// One background thread that keeps the terminal client's UI thread responsive while the rest of
// the process works hard (a big peer joining): it paces garbage collections (GcPacer) and keeps
// worker threads at background priority (BackgroundPriority). Nothing here runs on the UI thread.

namespace Cabal.Cli.Tui;

public sealed class UiLatencyGuard : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);
    private const int PriorityEvery = 125; // ticks: new pool threads are reniced within ~250 ms

    private readonly Thread _thread;
    private volatile bool _stop;

    /// <param name="pacer">The collection pacer; null leaves collections to the runtime.</param>
    /// <param name="lowerWorkerPriority">Whether to give thread-pool threads background priority.</param>
    public UiLatencyGuard(GcPacer? pacer, bool lowerWorkerPriority)
    {
        Pacer = pacer;
        LowerWorkerPriority = lowerWorkerPriority;
        _thread = new Thread(Loop) { IsBackground = true, Name = "ui-latency" };
    }

    /// <summary>What the terminal client runs: a pacer with its default budgets, and background-priority workers.</summary>
    public static UiLatencyGuard StartDefault() => new UiLatencyGuard(new GcPacer(), lowerWorkerPriority: true).Start();

    public GcPacer? Pacer { get; }

    public bool LowerWorkerPriority { get; }

    public UiLatencyGuard Start()
    {
        _thread.Start();
        return this;
    }

    private void Loop()
    {
        for (var tick = 0L; !_stop; tick++)
        {
            if (LowerWorkerPriority && tick % PriorityEvery == 0) BackgroundPriority.Apply();
            Pacer?.Tick();
            Thread.Sleep(Interval);
        }
    }

    public void Dispose()
    {
        _stop = true;
        if (_thread.IsAlive) _thread.Join();
    }
}
