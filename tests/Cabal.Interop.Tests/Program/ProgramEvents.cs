using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

/// <summary>
/// A long-running `cabal … --json` child process (the bot, a DHT node) whose stdout carries nothing but
/// JSON events, one per line: read as they come, waited for by name with a deadline. Disposing kills it.
/// </summary>
public abstract class ProgramEvents(ChildProcess process, string name) : IAsyncDisposable
{
    private readonly List<JsonElement> _events = [];

    public ChildProcess Process { get; } = process;

    public IReadOnlyList<JsonElement> Events { get { lock (_events) return [.. _events]; } }

    /// <summary>Reads events until one named <paramref name="eventName"/> (and matching <paramref name="match"/>) arrives.</summary>
    public async Task<JsonElement> WaitForEventAsync(string eventName, TimeSpan timeout, Func<JsonElement, bool>? match = null)
    {
        lock (_events)
            foreach (var e in _events)
                if (Is(e, eventName) && (match is null || match(e))) return e;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"The {name} sent no '{eventName}' event within {timeout}. Last: {Last()}\nstderr:\n{Process.StandardError}");
            var line = await Process.ReadLineAsync(left)
                ?? throw new InvalidOperationException($"The {name} exited before '{eventName}'. Last: {Last()}\nstderr:\n{Process.StandardError}");
            var e = JsonDocument.Parse(line).RootElement.Clone();
            lock (_events) _events.Add(e);
            if (Is(e, eventName) && (match is null || match(e))) return e;
        }
    }

    /// <summary>Reads the rest of stdout (after the process has exited or is exiting).</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = await Process.ReadLineAsync(deadline - DateTime.UtcNow);
            if (line is null) return;
            lock (_events) _events.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
    }

    protected static bool Is(JsonElement e, string eventName) => e.TryGetProperty("event", out var v) && v.GetString() == eventName;

    private string Last() => string.Join(" | ", Events.TakeLast(3).Select(e => e.GetRawText()));

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
