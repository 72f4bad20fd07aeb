using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cabal.Tests;

/// <summary>
/// Collects log lines (with event ids) for assertions and for diagnosing failures. It is its own
/// factory, so options take it as their LoggerFactory and every category lands here.
/// </summary>
internal sealed class TestLogger(string name = "") : ILogger, ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    public ConcurrentQueue<(EventId Id, LogLevel Level, string Text)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((eventId, logLevel, $"{Environment.TickCount64 % 100000} {name} {formatter(state, exception)}"));

    public override string ToString() => string.Join("\n", Entries.Select(e => $"{e.Id.Id} {e.Text}"));
}
