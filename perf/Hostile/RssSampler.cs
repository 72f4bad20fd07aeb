// A process's resident set, sampled from /proc/PID/status (VmRSS) on a timer, with the peak seen.
using System.Globalization;

namespace Cabal.Perf.Hostile;

internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakKiB, _lastKiB, _samples;

    public RssSampler(int pid, TimeSpan period)
    {
        _pid = pid;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            do Sample();
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        });
    }

    /// <summary>The highest VmRSS sampled, in KiB.</summary>
    public long PeakKiB => Interlocked.Read(ref _peakKiB);

    /// <summary>The latest VmRSS sampled, in KiB.</summary>
    public long LastKiB => Interlocked.Read(ref _lastKiB);

    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>VmRSS (or another field, e.g. VmHWM) of <paramref name="pid"/> in KiB; null once it has exited.</summary>
    public static long? ReadKiB(int pid, string field = "VmRSS:")
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    private void Sample()
    {
        if (ReadKiB(_pid) is not { } kib) return;
        Interlocked.Exchange(ref _lastKiB, kib);
        Interlocked.Increment(ref _samples);
        long peak;
        while (kib > (peak = Interlocked.Read(ref _peakKiB)) && Interlocked.CompareExchange(ref _peakKiB, kib, peak) != peak) { }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
