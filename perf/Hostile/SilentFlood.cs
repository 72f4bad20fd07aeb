// Issue 20, defect 1: silent TCP connections from one address, never a byte sent, each reopened as
// soon as the bot closes it (refused at accept, or expired at its pending deadline).
using System.Net.Sockets;

namespace Cabal.Perf.Hostile;

internal static class SilentFlood
{
    public static async Task RunAsync(FloodAttack attack, CancellationToken ct)
    {
        if (attack.Options.SilentConnections <= 0) return;
        var silent = new Socket?[attack.Options.SilentConnections];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                for (var i = 0; i < silent.Length && !ct.IsCancellationRequested; i++)
                {
                    if (silent[i] is { } s)
                    {
                        if (!LoopbackDial.IsClosedByServer(s)) continue;
                        Interlocked.Increment(ref attack.SilentClosedByBot);
                        s.Dispose();
                        silent[i] = null;
                    }
                    try
                    {
                        silent[i] = await LoopbackDial.ConnectFromAsync(attack.Options.SilentFrom, attack.Options.Port, ct).ConfigureAwait(false);
                        Interlocked.Increment(ref attack.SilentOpened);
                    }
                    catch (SocketException) { Interlocked.Increment(ref attack.SilentConnectFailed); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { Interlocked.Increment(ref attack.SilentConnectFailed); }
                }
                try { await Task.Delay(20, ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            foreach (var s in silent) s?.Dispose();
        }
    }
}
