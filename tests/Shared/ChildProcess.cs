using System.Diagnostics;
using System.Threading.Channels;

namespace Cabal.Tests;

/// <summary>
/// A child process whose stdout lines are read into a channel. Every wait is bounded, and
/// disposing kills the whole process tree, so a failing test never leaves processes or ports behind.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _stderr = [];

    private ChildProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        process.BeginErrorReadLine();
        _ = Task.Run(ReadStdoutAsync);
    }

    // Lines end at '\n' only. Process.BeginOutputReadLine also breaks lines at other characters
    // (JS peers print block values that contain U+0085), which would cut JSON events in two.
    private async Task ReadStdoutAsync()
    {
        var stream = _process.StandardOutput.BaseStream;
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                var start = 0;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    line.Write(buffer, start, i - start);
                    _lines.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r'));
                    line.SetLength(0);
                    start = i + 1;
                }
                line.Write(buffer, start, n - start);
            }
            if (line.Length > 0) _lines.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length));
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        finally { _lines.Writer.TryComplete(); }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return new ChildProcess(Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}"));
    }

    /// <summary>Runs one of our own built programs (a .dll beside the test assembly) with `dotnet exec`.</summary>
    public static ChildProcess StartDotnet(string dllName, params string[] args)
        => Start("dotnet", new[] { "exec", Path.Combine(AppContext.BaseDirectory, dllName) }.Concat(args));

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public StreamWriter StandardInput => _process.StandardInput;

    public string StandardError { get { lock (_stderr) return string.Join('\n', _stderr); } }

    /// <summary>Next stdout line, or null at end of output. Throws TimeoutException after <paramref name="timeout"/>.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.WaitToReadAsync(cts.Token) && _lines.Reader.TryRead(out var line) ? line : null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No output from child {_process.Id} within {timeout}. stderr:\n{StandardError}");
        }
    }

    /// <summary>Reads lines until one matches; throws TimeoutException at the deadline.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Child {_process.Id} printed no matching line within {timeout}. stderr:\n{StandardError}");
            var line = await ReadLineAsync(left) ?? throw new InvalidOperationException($"Child {_process.Id} exited before printing a matching line. stderr:\n{StandardError}");
            if (match(line)) return line;
        }
    }

    /// <summary>SIGKILL, no chance to clean up.</summary>
    public void KillHard() { try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }

    /// <summary>Sends a POSIX signal (e.g. 15 for SIGTERM).</summary>
    public void Signal(int signal) => PosixKill(_process.Id, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"Child {_process.Id} did not exit within {timeout}."); }
        return _process.ExitCode;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int PosixKill(int pid, int sig);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            KillHard();
            try { await WaitForExitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        }
        _process.Dispose();
    }
}
