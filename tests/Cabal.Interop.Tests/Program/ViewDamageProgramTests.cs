using System.Text;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// Issue 19, defect 7, through the program: `cabal read --offline` on views with flipped bytes printed
// 26 of 79 messages with exit 0 and no warning. Now it prints every message (the views are rebuilt
// from the feeds) and a warning line on stderr.
public sealed class ViewDamageProgramTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(60);
    private const int Count = 79;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Text(int i) => $"program probe {i:D3} for the views damage test";

    [Fact]
    public async Task ReadOfflineOnDamagedViewsPrintsEveryMessageAndAWarning()
    {
        var data = _dir.Sub("d");
        var key = await CabalProgram.NewCabalAsync(data);
        await using (var send = CabalProgram.Start("send", key, "--data", data, "--no-lan", "--stdin"))
        {
            for (var i = 0; i < Count; i++) await send.StandardInput.WriteLineAsync(Text(i));
            send.StandardInput.Close();
            while (await send.ReadLineAsync(Run) is not null) { }
            Assert.Equal(0, await send.WaitForExitAsync(Run));
        }
        Assert.Equal(Count, (await CabalProgram.ReadLocalAsync(key, data, 200)).Count); // indexed before the damage

        var file = Path.Combine(data, "feeds", "views", key, "data.mdb");
        var bytes = await File.ReadAllBytesAsync(file);
        var flipped = 0;
        for (var i = 0; i < Count; i += 3)
        {
            var needle = Encoding.UTF8.GetBytes(Text(i));
            for (var at = bytes.AsSpan().IndexOf(needle); at >= 0;)
            {
                bytes[at - 1] ^= 0x04; // the quote before the text: the stored entry no longer parses
                flipped++;
                var next = bytes.AsSpan(at + 1).IndexOf(needle);
                at = next < 0 ? -1 : at + 1 + next;
            }
        }
        Assert.True(flipped >= Count / 3, $"flipped {flipped}");
        await File.WriteAllBytesAsync(file, bytes);

        var r = await CabalProgram.RunAsync(Run, "read", key, "--data", data, "--offline", "--limit", "200");
        r.AssertExit(0);
        for (var i = 0; i < Count; i++) Assert.Contains(r.Stdout, l => l.EndsWith(Text(i), StringComparison.Ordinal));
        Assert.Contains("damaged", r.Stderr);
        Assert.Contains("rebuilding them from the feeds", r.Stderr);
    }
}
