using Cabal.Cli.Tui;
using Cabal.Tests;

namespace Cabal.Tui.Tests;

// What keeps the client's UI thread responsive while a big peer syncs (perf join measures the effect).
public sealed class UiLatencyTests
{
    [Fact]
    public void ThePacerCollectsOnceItsBudgetIsAllocated()
    {
        var pacer = new GcPacer { Gen0Budget = 256 * 1024, Gen1Budget = long.MaxValue };
        // Bounded retries: a collection the runtime starts on its own resets the budget instead.
        for (var attempt = 0; attempt < 20 && pacer.Induced == 0; attempt++)
        {
            pacer.Tick();
            var sink = 0;
            for (var i = 0; i < 64; i++) sink += new byte[8 * 1024].Length;
            Assert.Equal(64 * 8 * 1024, sink);
            pacer.Tick();
        }
        Assert.True(pacer.Induced > 0);
    }

    [Fact]
    public void ThePacerReportsItsLongestGapUntilReset()
    {
        var pacer = new GcPacer { Gen0Budget = long.MaxValue / 2, Gen1Budget = long.MaxValue };
        Assert.Equal(TimeSpan.Zero, pacer.LongestTickGap);
        pacer.Tick();
        Thread.Sleep(30);
        pacer.Tick();
        Assert.InRange(pacer.LongestTickGap.TotalMilliseconds, 25, 5_000);
        pacer.ResetDiagnostics();
        Assert.Equal(TimeSpan.Zero, pacer.LongestTickGap);
        Assert.Equal(TimeSpan.Zero, pacer.LongestCollect);
    }

    [Fact]
    public void ThePacerDoesNothingBelowItsBudget()
    {
        var pacer = new GcPacer { Gen0Budget = long.MaxValue / 2, Gen1Budget = long.MaxValue };
        for (var i = 0; i < 10; i++) pacer.Tick();
        Assert.Equal(0, pacer.Induced);
    }

    [LinuxFact]
    public void WorkerThreadsGetBackgroundPriorityAndOthersKeepTheirs()
    {
        var baseNice = OwnNice(); // new threads inherit it (at most 19, the worker value, on Linux)
        int workerNice = -1, otherNice = -1;
        using var applied = new ManualResetEventSlim();
        using var measured = new CountdownEvent(2);
        void Run(string name, Action<int> report)
        {
            var t = new Thread(() =>
            {
                applied.Wait(TimeSpan.FromSeconds(10));
                report(OwnNice());
                measured.Signal();
            }) { Name = name, IsBackground = true };
            t.Start();
        }
        Run("cabal-bgtest-w", n => workerNice = n);
        Run("cabal-fgtest", n => otherNice = n);
        Thread.Sleep(100); // both threads exist (their names are set as they start)
        BackgroundPriority.Apply(["cabal-bgtest"]);
        applied.Set();
        Assert.True(measured.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(BackgroundPriority.WorkerNice, workerNice);
        Assert.Equal(baseNice, otherNice);
    }

    // Field 19 of /proc/thread-self/stat; the fields after the command name start at field 3.
    private static int OwnNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void TheGuardStartsAndStopsItsThread()
    {
        var pacer = new GcPacer { Gen0Budget = 64 * 1024 };
        using (var guard = new UiLatencyGuard(pacer, lowerWorkerPriority: false).Start())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (pacer.Induced == 0 && !cts.IsCancellationRequested)
            {
                _ = new byte[16 * 1024];
                Thread.Sleep(1);
            }
        }
        Assert.True(pacer.Induced > 0);
    }
}
