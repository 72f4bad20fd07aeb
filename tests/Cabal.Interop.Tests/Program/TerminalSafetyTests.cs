using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// Every string from the network that reaches a terminal goes through one sanitiser (TerminalText),
// nicks included: a nick, a message and a topic full of escape sequences (window title, OSC 52
// clipboard write, colours, bidi override) travel from one data directory through the seeding bot
// to another, and then `read`, `info`, `list`, the client's non-terminal output and the bot's own
// status lines print them neutralised. The client's full-screen view is covered by
// tests/Cabal.Tui.Tests (ClientScreenTests.Hostile_text_is_shown_neutralised).
public sealed class TerminalSafetyTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(40);
    private const string Nick = "mal\u001b]0;pwned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[31mlory\u202e";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertClean(string where, string output)
    {
        foreach (var c in new[] { '\u001b', '\u0007', '\u009b', '\u009d', '\u202e' })
            Assert.False(output.Contains(c), $"{where} printed U+{(int)c:X4}:\n{output}");
    }

    [Fact]
    public async Task AHostileNickIsNeutralisedOnEveryOutputPath()
    {
        var mallory = _dir.Sub("mallory");
        var key = await CabalProgram.NewCabalAsync(mallory);
        (await CabalProgram.RunAsync(Run, "nick", key, Nick, "--data", mallory, "--no-lan")).AssertExit(0);
        (await CabalProgram.RunAsync(Run, "topic", key, "top\u001b]0;x\u0007ic", "--data", mallory, "--no-lan")).AssertExit(0);
        (await CabalProgram.RunAsync(Run, "send", key, "--data", mallory, "--no-lan", "--text", "hi\u001b[2J there")).AssertExit(0);

        string botOutput;
        var reader = _dir.Sub("reader");
        var port = CabalProgram.ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The bot in text mode: its status lines go to stderr, through the sanitiser.
        await using (var bot = CabalProgram.Start("seed", key, "--data", mallory, "--no-lan", "--listen", port, "--status-interval", "0.2"))
        {
            await Poll.UntilAsync(() => bot.StandardError.Contains("seeding cabal://"), "the bot to start", TimeSpan.FromSeconds(30), () => bot.StandardError);
            var read = await CabalProgram.RunAsync(Run, "read", key, "--data", reader, "--join", "--no-lan", "--peer", "127.0.0.1:" + port, "--timeout", "20");
            read.AssertExit(0);
            var text = string.Join('\n', read.Stdout);
            AssertClean("read", text + read.Stderr);
            Assert.Contains("mal\uFFFD]0;pwned\uFFFD", text);
            Assert.Contains("hi\uFFFD[2J there", text);
            Assert.Contains("set the topic of #default: top\uFFFD]0;x\uFFFDic", text); // a topic line, not a chat message
            await Task.Delay(500); // a status line or two with the peer
            botOutput = bot.StandardError;
        }
        AssertClean("seed", botOutput);

        var info = await CabalProgram.RunAsync(Run, "info", key, "--data", reader);
        info.AssertExit(0);
        AssertClean("info", string.Join('\n', info.Stdout));
        Assert.Contains(info.Stdout, l => l.Contains("mal\uFFFD]0;pwned", StringComparison.Ordinal));

        var list = await CabalProgram.RunAsync(Run, "list", "--data", mallory);
        list.AssertExit(0);
        AssertClean("list", string.Join('\n', list.Stdout));

        // The client without a terminal prints the cabal and its latest messages.
        var client = await CabalProgram.RunAsync(Run, key, "--data", reader, "--no-lan");
        client.AssertExit(0);
        AssertClean("client", string.Join('\n', client.Stdout));
        Assert.Contains(client.Stdout, l => l.Contains("<mal\uFFFD]0;pwned", StringComparison.Ordinal));
    }
}
