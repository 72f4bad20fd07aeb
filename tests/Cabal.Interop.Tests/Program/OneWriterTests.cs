using System.Globalization;
using System.Text.RegularExpressions;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// One writer per data directory. A long-running `cabal` process (here `send --stdin`, publishing as
// a client would) holds the directory; 50 `cabal send` processes race it for the same feed. Each of
// them hands its command to the holder over the directory's socket, so all 200 appends go through
// one process: no seq is published twice, every send reports its own seq and exits 0, and a peer
// receives all 200. The seeding bot, which needs the directory to itself, is refused naming the
// holder's pid.
public sealed partial class OneWriterTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex(@"published ([0-9a-f]{64})@(\d+)")]
    private static partial Regex Published();

    [Fact]
    public async Task ASendRacingTheHoldersAppendsNeverForksTheLog()
    {
        var data = _dir.Sub("d");
        var key = await CabalProgram.NewCabalAsync(data);
        const int holderLines = 150, racers = 50;
        var outputs = new List<string>();

        await using (var holder = CabalProgram.Start("send", key, "--data", data, "--no-lan", "--stdin"))
        {
            await holder.StandardInput.WriteLineAsync("holder 0");
            await holder.StandardInput.FlushAsync();
            await Poll.UntilAsync(() => holder.StandardError.Contains("published"), "the holder's first publish", TimeSpan.FromSeconds(30), () => holder.StandardError);

            var refused = await CabalProgram.RunAsync(Run, "seed", key, "--data", data, "--no-lan");
            refused.AssertExit(75);
            Assert.Contains($"in use by process {holder.Id}", refused.Stderr);

            var feeding = Task.Run(async () =>
            {
                for (var i = 1; i < holderLines; i++)
                {
                    await holder.StandardInput.WriteLineAsync($"holder {i}");
                    await holder.StandardInput.FlushAsync();
                    await Task.Delay(60);
                }
            });
            using var gate = new SemaphoreSlim(4);
            var sends = Enumerable.Range(0, racers).Select(async j =>
            {
                await gate.WaitAsync();
                try { return await CabalProgram.RunAsync(Run, "send", key, "--data", data, "--no-lan", "--text", $"cli {j}"); }
                finally { gate.Release(); }
            }).ToList();
            foreach (var r in await Task.WhenAll(sends))
            {
                r.AssertExit(0);
                outputs.Add(r.Stderr);
            }
            await feeding;
            holder.StandardInput.Close();
            Assert.Equal(0, await holder.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            outputs.Add(holder.StandardError);
        }

        var seqs = outputs.SelectMany(o => Published().Matches(o)).Select(m => ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(holderLines + racers, seqs.Count);
        Assert.Equal(Enumerable.Range(0, holderLines + racers).Select(i => (ulong)i), seqs.Order());

        var expected = Enumerable.Range(0, holderLines).Select(i => $"holder {i}").Concat(Enumerable.Range(0, racers).Select(j => $"cli {j}")).Order().ToList();
        var local = await CabalProgram.ReadLocalAsync(key, data, limit: 1000);
        Assert.Equal(expected, local.Select(CabalProgram.Text).Order());
        Assert.Single(local.Select(m => m.GetProperty("feed").GetString()).Distinct());

        // A peer gets every one of them (a forked log would stop replication at the fork).
        await using var bot = await SeedBot.StartAsync(key, data, null, "--no-lan");
        var read = await CabalProgram.RunAsync(Run, "read", key, "--data", _dir.Sub("peer"), "--join", "--no-lan", "--peer", $"127.0.0.1:{bot.Port}", "--json", "--limit", "1000", "--timeout", "30");
        read.AssertExit(0);
        Assert.Equal(expected, read.Json().Select(CabalProgram.Text).Order());
    }
}
