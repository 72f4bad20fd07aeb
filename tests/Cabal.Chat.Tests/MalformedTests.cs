using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Microsoft.Extensions.Logging;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class MalformedTests
{
    [Fact]
    public async Task MalformedEntriesAreSkippedCountedAndLoggedWithoutStalling()
    {
        await using var fx = new ChatFixture();
        var log = new ListLogger();
        var core = await fx.OpenAsync(options: Options with { LoggerFactory = new SingleLoggerFactory(log), Limits = new ChatLimits { MaxTextLength = 100 } });
        var evil = await fx.AddUserAsync();
        string[] bad =
        [
            "not json",
            "null",
            "[1,2]",
            "\"a string\"",
            "{\"type\":\"chat/text\",\"content\":null,\"timestamp\":1}",
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":42},\"timestamp\":1}",
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":\"x\"},\"timestamp\":\"5\"}",
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"\",\"text\":\"x\"},\"timestamp\":1}",
            "{\"type\":\"channel/join\",\"content\":{\"channel\":7},\"timestamp\":1}",
            "{\"type\":\"flags/add\",\"content\":{\"id\":\"" + new string('a', 64) + "\",\"flags\":\"hide\"},\"timestamp\":1}",
            "{\"type\":\"encrypted\",\"content\":{}}",
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":\"" + new string('x', 101) + "\"},\"timestamp\":1}",
        ];
        foreach (var b in bad) await Raw(evil, b);
        await Raw(evil, "{\"type\":\"foo/bar\",\"content\":{},\"timestamp\":1}"); // unknown type: ignored, not malformed
        await Raw(evil, "{\"type\":\"about\",\"content\":{\"name\":null},\"timestamp\":1}"); // harmless in JS too
        await Say(evil, "default", "still indexed", 10);
        await Sync(core);

        Assert.Equal("still indexed", Assert.Single(core.GetMessages("default")).Text);
        Assert.Equal(bad.Length, core.Statistics.Malformed);
        Assert.Equal(0, core.Statistics.Pending);
        Assert.Equal(bad.Length, log.Entries.Count(e => e.Id.Id == 8301));
        Assert.Contains(log.Entries, e => e.Message.Contains("NullContent"));
        Assert.Equal(["default"], core.GetChannels());

        await fx.CloseAsync(core);
        core = await fx.OpenAsync();
        Assert.Equal(0, core.Statistics.Malformed);
        Assert.Equal(bad.Length, core.Statistics.MalformedTotal); // persisted with the views
    }

    [Fact]
    public async Task PublishRefusesWhatWouldStallJsPeers()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => core.PublishRawAsync("{\"type\":\"chat/text\",\"content\":null}"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => core.PublishRawAsync("null"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => core.PublishTextAsync("", "x"));
        await Assert.ThrowsAsync<InvalidCabalKeyException>(() => core.HideAsync("bob"));
    }

    internal sealed record LogEntry(LogLevel Level, EventId Id, string Message);

    internal sealed class ListLogger : ILogger
    {
        private readonly List<LogEntry> _entries = [];
        public IReadOnlyList<LogEntry> Entries { get { lock (_entries) return [.. _entries]; } }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) _entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception)));
        }
    }

    internal sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) { }
        public ILogger CreateLogger(string categoryName) => logger;
        public void Dispose() { }
    }
}
