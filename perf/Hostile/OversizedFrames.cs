// Issue 20, defect 2: connections that finish the Noise handshake (no key needed), declare an 8 MiB
// frame and send its first 256 KiB. Each round comes from fresh addresses (4 /24s of 16): the bot
// puts every address whose frame it refused in its penalty box.
using System.Net.Sockets;

namespace Cabal.Perf.Hostile;

internal static class OversizedFrames
{
    public const ulong Declared = 8UL * 1024 * 1024;
    private const int Sent = 256 * 1024;

    public static async Task RunAsync(FloodAttack attack, CancellationToken ct)
    {
        var o = attack.Options;
        if (o.OversizedPerRound <= 0) return;
        try
        {
            for (var round = 0; (o.OversizedRounds == 0 || round < o.OversizedRounds) && !ct.IsCancellationRequested; round++)
            {
                var started = Task.Delay(o.OversizedInterval, ct);
                Interlocked.Increment(ref attack.OversizedRounds);
                await Task.WhenAll(Enumerable.Range(0, o.OversizedPerRound).Select(i => OneAsync(attack, round, i, ct))).ConfigureAwait(false);
                if (o.OversizedRounds == 0 || round + 1 < o.OversizedRounds) await started.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task OneAsync(FloodAttack attack, int round, int i, CancellationToken ct)
    {
        // 240 /24s (127.0.10.x–127.0.249.x), four per round: addresses come back after 60 rounds.
        var from = LoopbackDial.Loopback(10 + (round * 4 + i / 16) % 240, 10 + i % 16);
        RawNoiseClient client;
        try { client = await RawNoiseClient.ConnectAsync(from, attack.Options.Port, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Interlocked.Increment(ref attack.OversizedRefused);
            return;
        }
        using (client)
        {
            Interlocked.Increment(ref attack.OversizedHandshakes);
            if (!await client.TrySendAsync(RawNoiseClient.FrameStart(Declared)).ConfigureAwait(false)) return;
            Interlocked.Increment(ref attack.FramesDeclared);
            var piece = new byte[16 * 1024];
            for (var sent = 0; sent < Sent && !ct.IsCancellationRequested; sent += piece.Length)
                if (!await client.TrySendAsync(piece).ConfigureAwait(false)) break;
            if (await client.ClosedByServerAsync().ConfigureAwait(false))
                Interlocked.Increment(ref attack.OversizedClosedByBot);
        }
    }
}
