using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// The bot's status after a restart and the peers file over many connections: the status counts
// what the views hold (not only what was indexed since this start), and the peers file keeps one
// line per address instead of one per connection.
public sealed class BotStatusTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(40);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AfterARestartTheStatusCountsWhatIsIndexedAndThePeersFileStaysOneLinePerAddress()
    {
        var botDir = _dir.Sub("bot");
        var key = await CabalProgram.NewCabalAsync(botDir);
        foreach (var t in new[] { "one", "two", "three" })
            (await CabalProgram.RunAsync(Run, "send", key, "--data", botDir, "--no-lan", "--text", t)).AssertExit(0);

        await using var bot = await SeedBot.StartAsync(key, botDir, null, "--no-lan", "--status-interval", "0.2");
        var status = await bot.WaitForEventAsync("status", TimeSpan.FromSeconds(30), e => e.GetProperty("blocks").GetUInt64() == 3);
        Assert.Equal(3, status.GetProperty("indexed").GetInt64());

        var reader = _dir.Sub("reader");
        for (var i = 0; i < 3; i++)
            (await CabalProgram.RunAsync(Run, "read", key, "--data", reader, "--join", "--no-lan", "--peer", $"127.0.0.1:{bot.Port}", "--timeout", "20")).AssertExit(0);
        var lines = (await File.ReadAllLinesAsync(Path.Combine(reader, "peers", key))).Where(l => l.Length > 0).ToList();
        Assert.Equal([$"127.0.0.1:{bot.Port}"], lines);
    }
}
