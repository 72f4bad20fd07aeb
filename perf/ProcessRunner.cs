using System.Diagnostics;

namespace Cabal.Perf;

/// <summary>How a bounded child process ended.</summary>
/// <param name="SpawnTimestamp">Stopwatch timestamp taken just before the process was started.
/// Stopwatch uses CLOCK_MONOTONIC, which is system-wide, so a child's timestamps are comparable with it.</param>
internal sealed record ProcessOutcome(int? ExitCode, bool TimedOut, IReadOnlyList<string> Stdout, string StderrTail, long SpawnTimestamp, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public string Describe() => TimedOut ? $"timed out after {Elapsed.TotalSeconds:0} s" : $"exit code {ExitCode}";
}

/// <summary>Runs a child process to completion within a time limit, killing its whole tree if it overruns.</summary>
internal static class ProcessRunner
{
    private const int StderrTailLines = 40;

    public static async Task<ProcessOutcome> RunAsync(
        string fileName, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct,
        string? workingDirectory = null, Action<string>? onStdoutLine = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // so a child never waits on our terminal
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;

        var stdout = new List<string>();
        var stderr = new Queue<string>();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.Add(e.Data);
            onStdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.Enqueue(e.Data);
                if (stderr.Count > StderrTailLines) stderr.Dequeue();
            }
        };

        var spawn = Stopwatch.GetTimestamp();
        if (!process.Start()) throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timedOut = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !ct.IsCancellationRequested;
                await KillAsync(process).ConfigureAwait(false);
                if (!timedOut) throw;
            }
        }
        var elapsed = Stopwatch.GetElapsedTime(spawn);
        // WaitForExitAsync also waits for the redirected streams to reach EOF, so the lines are complete here.
        string[] lines;
        lock (stdout) lines = [.. stdout];
        string tail;
        lock (stderr) tail = string.Join('\n', stderr);
        return new ProcessOutcome(timedOut ? null : process.ExitCode, timedOut, lines, tail, spawn, elapsed);
    }

    private static async Task KillAsync(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { return; } // already gone
        // Bounded: a process stuck in uninterruptible I/O must not hang the harness.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { Console.Error.WriteLine($"warning: child {process.Id} did not exit 10 s after SIGKILL"); }
    }
}
