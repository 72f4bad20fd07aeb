using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Js;

/// <summary>
/// A real JS peer from ../shared/interop (hypercore-peer.js or cabal-peer.js) in a child process.
/// It prints one JSON event per line on stdout; we wait for events by name, always with a deadline.
/// Disposing kills it.
/// </summary>
public sealed class JsPeer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly List<JsonElement> _events = [];

    private JsPeer(ChildProcess process) => _process = process;

    /// <summary>Runs one of our own fixture scripts (Js/scripts) with the harness's node_modules.</summary>
    public static JsPeer StartFixture(string fixture, params string[] args)
    {
        var script = Path.Combine(TestPaths.RepoRoot, "tests", "Cabal.Interop.Tests", "Js", "scripts", fixture);
        return Start(script, new Dictionary<string, string> { ["NODE_PATH"] = Path.Combine(TestPaths.Interop, "node_modules") }, args);
    }

    public static JsPeer Start(string script, params string[] args) => Start(script, null, args);

    private static JsPeer Start(string script, IDictionary<string, string>? env, string[] args)
    {
        var interop = TestPaths.Interop;
        if (!Directory.Exists(Path.Combine(interop, "node_modules")))
            throw new InvalidOperationException($"Run `npm ci` in {interop} first (scripts/test.sh does).");
        // Node's writes to a pipe can be asynchronous, and the harness's process.exit() then drops
        // what is still queued (seen with megabytes of block events). Writes to a file are always
        // synchronous, so node writes to a temp file that tail streams to us; tail --pid stops
        // after node exits and has printed everything, and the script exits with node's code.
        // ulimit: the JS stack opens several files per feed. SIGTERM to the wrapper is passed on to node
        // (the scripts then shut down cleanly); bash runs the trap only while it waits, hence the loop.
        const string Wrapper = """
            ulimit -n 65536 2>/dev/null
            out=$(mktemp); trap 'rm -f "$out"' EXIT
            node "$@" <&0 >"$out" & pid=$!
            trap 'kill -TERM $pid 2>/dev/null' TERM
            tail -n +1 -f --pid=$pid "$out" & tailpid=$!
            rc=0
            while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done
            wait $tailpid
            exit $rc
            """;
        return new JsPeer(ChildProcess.Start("bash", new[] { "-c", Wrapper, "bash", Path.Combine(interop, script) }.Concat(args), interop, env));
    }

    public IReadOnlyList<JsonElement> Events { get { lock (_events) return [.. _events]; } }

    public string StandardError => _process.StandardError;

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Reads events until one named <paramref name="name"/> (and matching <paramref name="match"/>) arrives.</summary>
    public async Task<JsonElement> WaitForEventAsync(string name, TimeSpan timeout, Func<JsonElement, bool>? match = null)
    {
        lock (_events)
            foreach (var e in _events)
                if (IsEvent(e, name) && (match is null || match(e))) return e;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"JS peer sent no '{name}' event within {timeout}.\nstderr:\n{StandardError}");
            var line = await _process.ReadLineAsync(left)
                ?? throw new InvalidOperationException($"JS peer exited before '{name}'. Last events: {LastEvents()}\nstderr:\n{StandardError}");
            JsonElement e;
            try { e = JsonDocument.Parse(line).RootElement.Clone(); }
            catch (JsonException) { continue; } // a log line, not an event
            lock (_events) _events.Add(e);
            if (IsEvent(e, name) && (match is null || match(e))) return e;
        }
    }

    /// <summary>Waits for the `listening` event and returns its port.</summary>
    public async Task<int> ListeningPortAsync(TimeSpan timeout)
        => (await WaitForEventAsync("listening", timeout)).GetProperty("port").GetInt32();

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>SIGTERM: the harness scripts shut down cleanly (unannounce, close) and exit.</summary>
    public void Terminate() => _process.Signal(15);

    private string LastEvents()
    {
        lock (_events)
            return string.Join(" | ", _events.TakeLast(4).Select(e => { var t = e.GetRawText(); return t.Length > 300 ? t[..300] + "…" : t; }));
    }

    private static bool IsEvent(JsonElement e, string name)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("event", out var ev) && ev.GetString() == name;

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
