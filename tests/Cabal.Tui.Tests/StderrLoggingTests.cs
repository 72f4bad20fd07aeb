using Cabal.Cli;
using Microsoft.Extensions.Logging;

namespace Cabal.Tui.Tests;

/// <summary>The program's stderr log sink (StderrLoggerProvider): format, level, order, flushing.</summary>
public sealed class StderrLoggingTests
{
    [Fact]
    public void A_line_has_the_single_line_simple_console_format()
    {
        var at = new DateTimeOffset(2026, 12, 5, 3, 21, 14, TimeSpan.Zero);
        Assert.Equal("03:21:14 info: Cabal.Multifeed.Storage.FeedStore[6001] Opened feed store /tmp/x: 0 feeds",
            StderrLoggerProvider.FormatLine(at, LogLevel.Information, "Cabal.Multifeed.Storage.FeedStore", new EventId(6001), "Opened feed store /tmp/x: 0 feeds", null));
        Assert.StartsWith("03:21:14 dbug: C[1] ", StderrLoggerProvider.FormatLine(at, LogLevel.Debug, "C", new EventId(1), "m", null));
        Assert.StartsWith("03:21:14 fail: C[1] ", StderrLoggerProvider.FormatLine(at, LogLevel.Error, "C", new EventId(1), "m", null));
    }

    [Fact]
    public void A_message_or_exception_over_several_lines_stays_on_one()
    {
        var line = StderrLoggerProvider.FormatLine(DateTimeOffset.Now, LogLevel.Warning, "C", new EventId(2), "first\nsecond\r\nthird", new InvalidOperationException("boom\nagain"));
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Contains("first second  third System.InvalidOperationException: boom again", line);
    }

    [Fact]
    public async Task A_stderr_that_fails_neither_throws_into_the_caller_nor_blocks_it_once_the_queue_is_full()
    {
        // More lines than the queue holds: with the writer thread gone, the 2,501st would wait forever.
        var logging = Task.Run(() =>
        {
            using var factory = ProgramEnvironment.StderrLogging(new FailingWriter(), LogLevel.Warning);
            var log = factory.CreateLogger("Cabal.Test");
            for (var i = 0; i < 10_000; i++) log.LogWarning("line {N}", i);
        });
        await logging.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class FailingWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => throw new IOException("stderr is gone");

        public override void WriteLine(string? value) => throw new IOException("stderr is gone");
    }

    [Fact]
    public void Only_the_chosen_level_and_above_is_written_in_order_and_disposing_flushes_it()
    {
        var writer = new StringWriter();
        using (var factory = ProgramEnvironment.StderrLogging(writer, LogLevel.Warning))
        {
            var log = factory.CreateLogger("Cabal.Test");
            log.LogDebug("not this");
            log.LogInformation("nor this");
            for (var i = 0; i < 100; i++) log.LogWarning(new EventId(7), "warning {N}", i);
            log.LogError("last");
        }
        var lines = Lines(writer);
        Assert.Equal(101, lines.Length);
        for (var i = 0; i < 100; i++) Assert.EndsWith($" warn: Cabal.Test[7] warning {i}", lines[i]);
        Assert.EndsWith(" fail: Cabal.Test[0] last", lines[100]);
    }

    [Fact]
    public async Task Lines_logged_from_many_threads_all_arrive_whole()
    {
        var writer = new StringWriter();
        using (var factory = ProgramEnvironment.StderrLogging(writer, LogLevel.Trace))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            {
                var log = factory.CreateLogger($"T{t}");
                for (var i = 0; i < 500; i++) log.LogTrace("line {I} of thread {T}", i, t);
            })));
        }
        var lines = Lines(writer);
        Assert.Equal(8 * 500, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\d\d:\d\d:\d\d trce: T(\d)\[0\] line \d+ of thread \1$", l));
    }

    [Fact]
    public void A_line_logged_after_disposal_is_written_not_lost()
    {
        var writer = new StringWriter();
        var provider = new StderrLoggerProvider(writer);
        var log = provider.CreateLogger("Late");
        provider.Dispose();
        log.LogWarning("after the end");
        Assert.EndsWith("warn: Late[0] after the end", Assert.Single(Lines(writer)));
    }

    [Fact]
    public void Nothing_logged_leaves_nothing_written()
    {
        var writer = new StringWriter();
        using (var factory = ProgramEnvironment.StderrLogging(writer, LogLevel.Warning)) factory.CreateLogger("Quiet").LogInformation("below the level");
        Assert.Empty(writer.ToString());
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
