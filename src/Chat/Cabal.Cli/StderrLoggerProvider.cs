// The program's log sink: one line per message on stderr, in the format of
// Microsoft.Extensions.Logging.Console's single-line simple formatter ("HH:mm:ss info: Category[id]
// message", an exception on the same line), written by a background thread so that a logging call
// never waits on the terminal. It replaces LoggerFactory.Create(b => b.AddConsole().AddSimpleConsole()),
// whose dependency-injection container (open generics resolved at run time) cost every `cabal`
// process about 15 ms before its first useful step, and twice that under Native AOT: a fresh
// `cabal read` spent more on it than on opening its store and views.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

internal sealed class StderrLoggerProvider : ILoggerProvider
{
    // As Microsoft.Extensions.Logging.Console's queue: bounded, and a full queue makes the caller wait
    // rather than drop lines.
    private const int QueueCapacity = 2500;
    private static readonly TimeSpan FlushLimit = TimeSpan.FromMilliseconds(1500);

    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly BlockingCollection<string> _queue = new(QueueCapacity);
    private readonly Lock _start = new();
    private readonly Lock _write = new();
    private Thread? _thread;

    /// <param name="writer">Where lines go (stderr in the program).</param>
    /// <param name="time">The clock for the timestamps (local time of day).</param>
    public StderrLoggerProvider(TextWriter writer, TimeProvider? time = null)
    {
        _writer = writer;
        _time = time ?? TimeProvider.System;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Writes what is queued (bounded wait), then stops the writer thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        Thread? thread;
        lock (_start) thread = _thread;
        thread?.Join(FlushLimit);
    }

    /// <summary>One log line as the single-line simple console formatter writes it (without colours).</summary>
    internal static string FormatLine(DateTimeOffset now, LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        var sb = new StringBuilder(64 + category.Length + message.Length);
        sb.Append(now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture));
        sb.Append(level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => level.ToString().ToLowerInvariant(),
        });
        sb.Append(": ").Append(category).Append('[').Append(eventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ");
        AppendOneLine(sb, message);
        if (exception is not null)
        {
            sb.Append(' ');
            AppendOneLine(sb, exception.ToString());
        }
        return sb.ToString();
    }

    private static void AppendOneLine(StringBuilder sb, string text)
    {
        foreach (var c in text) sb.Append(c is '\r' or '\n' ? ' ' : c);
    }

    private void Enqueue(string line)
    {
        EnsureWriter();
        try
        {
            _queue.Add(line);
            return;
        }
        catch (InvalidOperationException)
        {
            // Disposed (the program is ending): written directly, never lost.
        }
        try
        {
            lock (_write) _writer.WriteLine(line);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stderr is gone: logging must not take the program down.
        }
    }

    private void EnsureWriter()
    {
        if (Volatile.Read(ref _thread) is not null) return;
        lock (_start)
        {
            if (_thread is not null || _queue.IsAddingCompleted) return;
            // Started on the first line: a command that logs nothing (the default level is Warning) pays for no thread.
            _thread = new Thread(WriteLoop) { IsBackground = true, Name = "cabal log writer" };
            _thread.Start();
        }
    }

    private void WriteLoop()
    {
        try
        {
            foreach (var line in _queue.GetConsumingEnumerable())
            {
                lock (_write)
                {
                    _writer.WriteLine(line);
                    if (_queue.Count == 0) _writer.Flush();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stderr closed (the reader went away): logging must not take the program down, nor
            // block it. Lines are still taken off the queue, and dropped, so that a full queue never
            // makes a logging call wait for a writer that is gone.
            foreach (var _ in _queue.GetConsumingEnumerable()) { }
        }
    }

    private sealed class Logger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The factory's filter (the minimum level) has already been applied; None is never written.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (string.IsNullOrEmpty(message) && exception is null) return;
            provider.Enqueue(FormatLine(provider._time.GetLocalNow(), logLevel, category, eventId, message, exception));
        }
    }
}
