using System.Net;
using Cabal.Interop.Tests.Program;
using Cabal.Perf.Hostile;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20, "memory released after a burst": the real `cabal seed` process, three rounds of 64
// connections that each finish the Noise handshake, declare an 8 MiB frame and send 256 KiB of it.
// The bot's RSS (/proc/PID/status) is read before, throughout and after; it must stay within a
// generous bound of its baseline during the burst and come back near it afterwards (the issue saw
// 92 MB → 568 MB, 1.56 GB after repeated rounds, never returned). Figures: perf/RESULTS.md, "Hostile peers".
public sealed class BurstMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int PerRound = 64;
    private const int Rounds = 3;
    private const ulong Declared = 8UL * 1024 * 1024;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long RssKiB(int pid) => RssSampler.ReadKiB(pid) ?? throw new InvalidOperationException("no VmRSS");

    [LinuxFact]
    public async Task ABurstOfDeclaredEightMebibyteFramesLeavesTheBotNearItsBaseline()
    {
        var botDir = _dir.Sub("bot");
        var key = await CabalProgram.NewCabalAsync(botDir);
        await using var bot = await SeedBot.StartAsync(key, botDir, null, "--no-lan");
        var pid = bot.Process.Id;
        await Task.Delay(TimeSpan.FromSeconds(3)); // settle after start-up
        var baseline = RssKiB(pid);

        long peak = baseline;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { peak = Math.Max(peak, RssKiB(pid)); } catch (IOException) { }
                await Task.Delay(50);
            }
        });

        var closed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            // Four /24s of 16 addresses each (a prefix's share of pending slots), fresh every round:
            // the previous round's addresses sit in the penalty box.
            var clients = new List<RawNoiseClient>();
            try
            {
                for (var i = 0; i < PerRound; i++)
                {
                    var from = IPAddress.Parse($"127.0.{1 + round * 4 + i / 16}.{10 + i % 16}");
                    try { clients.Add(await RawNoiseClient.ConnectAsync(from, bot.Port)); }
                    catch (IOException) { } // refused: counted below by what was accepted
                }
                var piece = new byte[16 * 1024];
                await Task.WhenAll(clients.Select(async c =>
                {
                    if (!await c.TrySendAsync(RawNoiseClient.FrameStart(Declared))) return;
                    for (var sent = 0; sent < 256 * 1024; sent += piece.Length)
                        if (!await c.TrySendAsync(piece)) return;
                }));
                foreach (var c in clients) if (await c.ClosedByServerAsync()) closed++;
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }
        var during = peak;

        // After: give the collector a few seconds (no forced collection: this is the process as deployed).
        long after = RssKiB(pid);
        for (var i = 0; i < 40 && after > baseline + 64 * 1024; i++)
        {
            await Task.Delay(500);
            after = RssKiB(pid);
        }
        stop.Cancel();
        await sampler;
        output.WriteLine($"bot RSS: baseline {baseline / 1024} MiB, peak during {Rounds}×{PerRound} bursts {during / 1024} MiB, after {after / 1024} MiB; {closed} attacker connections closed by the bot");
        Assert.True(closed >= Rounds * PerRound / 2, $"only {closed} connections got through to be closed");
        Assert.True(during - baseline < 200 * 1024, $"peak {during / 1024} MiB from a baseline of {baseline / 1024} MiB");
        Assert.True(after - baseline < 64 * 1024, $"after the burst {after / 1024} MiB from a baseline of {baseline / 1024} MiB");
    }
}
