// Lowers the scheduling priority of the terminal client's worker threads (Linux only).
//
// Why: replication, verification, storage commits and indexing run on .NET thread-pool threads
// and, while a big peer syncs, keep every core busy. With the UI thread at the same priority the
// kernel may let it wait several time slices (10-30 ms seen on 2 cores) before it runs after
// waking, which is a visible stall even without any work on the UI thread. Chromium does the
// same for its background threads: the worker threads get a higher nice value, so the kernel runs
// the UI thread (and the console input thread, which keeps its priority) as soon as it wakes.
// Only threads the runtime names as its worker threads are touched; the sync itself still gets
// all the CPU nobody else wants.
//
// Why 19, the lowest, rather than Chromium's 10: measured with `perf join` at 10,000 feeds, at nice 10
// some late UI ticks still had 5-8 ms with no collection in them (the UI thread waiting for a core),
// and 2 of 8 runs stalled past 16 ms; at 19 the late ticks were collections, and 7 of 7 runs stayed
// under 16 ms. The cost: on a machine busy with other programs the sync gets less CPU. Where the
// kernel groups tasks by session (autogroup, the default on desktop Linux) nice only weighs our
// threads against each other, so another terminal's build does not starve it.
//
// Per-thread nice values: setpriority(PRIO_PROCESS, tid) acts on one thread on Linux (see
// setpriority(2), "BUGS"). Raising one's own nice value needs no privilege.
using System.Runtime.InteropServices;

namespace Cabal.Cli.Tui;

internal static partial class BackgroundPriority
{
    /// <summary>Nice value given to worker threads: the lowest priority. 0 is normal; 19 gives them about 1/70 of a normal thread's weight when both want the CPU.</summary>
    public const int WorkerNice = 19;

    private const int PrioProcess = 0;

    // Thread names the .NET runtime gives its worker threads (truncated to 15 bytes in /proc): the
    // thread pool (workers, and the gate thread that creates new workers, which inherit its nice
    // value), socket polling, background GC marking and background JIT.
    private static readonly string[] WorkerPrefixes = [".NET TP ", ".NET Sockets", ".NET Long Runni", ".NET BGC", ".NET Tiered"];

    private static readonly HashSet<int> Done = []; // only the guard thread calls Apply

    /// <summary>Gives every worker thread that does not have it yet the background nice value. Cheap: one directory listing.</summary>
    public static void Apply() => Apply(WorkerPrefixes);

    /// <summary>As <see cref="Apply()"/>, for the threads whose names start with one of <paramref name="prefixes"/>.</summary>
    internal static void Apply(IReadOnlyList<string> prefixes)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var tid) || Done.Contains(tid)) continue;
                string comm;
                try { comm = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n'); }
                catch (IOException) { continue; } // the thread exited meanwhile
                if (!prefixes.Any(comm.StartsWith)) continue;
                // A failure (another OS, a sandbox without the call) only leaves the thread as it was.
                if (setpriority(PrioProcess, tid, WorkerNice) == 0) Done.Add(tid);
                if (Done.Count > 4096) Done.Clear(); // thread ids are reused; re-applying is harmless
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException) { }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);
}
