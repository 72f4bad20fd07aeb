using System.Diagnostics;

namespace Cabal.Tests;

/// <summary>
/// The one way tests wait for something they cannot await: check a condition every few milliseconds,
/// for a bounded time. Every harness's "eventually" and "wait until" goes through here.
/// </summary>
public static class Poll
{
    /// <summary>How long a wait lasts unless the caller says otherwise: generous, for a loaded machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>True once <paramref name="condition"/> holds; false if it still does not after <paramref name="timeout"/>.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) return condition();
            await Task.Delay(Interval);
        }
        return true;
    }

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; otherwise throws a <see cref="TimeoutException"/>
    /// naming <paramref name="what"/>, with <paramref name="detail"/> (a log, a screen) for the diagnosis.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        if (await UntilAsync(condition, timeout)) return;
        var extra = detail?.Invoke();
        throw new TimeoutException($"Timed out waiting for {what}." + (string.IsNullOrEmpty(extra) ? "" : "\n" + extra));
    }
}
