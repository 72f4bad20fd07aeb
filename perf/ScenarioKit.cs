// Pieces the networked scenarios (sync, sync-mixed, join) share.
using System.Diagnostics;
using System.Text;

namespace Cabal.Perf;

internal static class ScenarioKit
{
    /// <summary>The chat/text bytes make-cabal.js writes for user <paramref name="user"/>'s message <paramref name="m"/>.</summary>
    public static byte[] Message(int user, int m)
        => Encoding.UTF8.GetBytes($$"""{"type":"chat/text","content":{"channel":"default","text":"message {{m}} from user {{user}}"},"timestamp":{{1_600_000_000_000L + 7L * (user * 1000 + m)}}}""");

    /// <summary>Polls <paramref name="condition"/> every 5 ms; returns the stopwatch's reading when it holds (at most 10 minutes).</summary>
    public static async Task<double> WhenAsync(Stopwatch sw, Func<bool> condition, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        while (!condition()) await Task.Delay(5, timeout.Token).ConfigureAwait(false);
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>This process's peak resident set (VmHWM), in MB.</summary>
    public static long PeakRssMb() => (long)(LoadChild.PeakRssMb() ?? 0);

    /// <summary>The "Measured … on N cores …; load average …" line of a results section, and the noisy-machine warning when busy.</summary>
    public static void AppendMeasuredOn(StringBuilder sb, DateTimeOffset started, double[] loadStart, double[] loadEnd)
    {
        sb.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"Measured {started:yyyy-MM-dd HH:mm zzz} on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; load average at start {string.Join(" / ", loadStart)}, at end {string.Join(" / ", loadEnd)}.");
        sb.AppendLine();
        if (new[] { loadStart, loadEnd }.Any(l => l is { Length: > 0 } && l[0] > Environment.ProcessorCount / 3.0))
        {
            sb.AppendLine("> **These numbers may be noisy**: the machine was busy (see the load averages); re-run on a quiet machine before drawing conclusions.");
            sb.AppendLine();
        }
    }

    /// <summary>Replaces the section between <paramref name="begin"/> and <paramref name="end"/> of perf/RESULTS.md (appends it if absent).</summary>
    public static async Task ReplaceSectionAsync(string begin, string end, string body, CancellationToken ct)
    {
        var path = Path.Combine(RepoPaths.PerfDir, "RESULTS.md");
        var text = File.Exists(path) ? await File.ReadAllTextAsync(path, ct).ConfigureAwait(false) : "# Performance results\n";
        var section = begin + "\n" + body + end;
        var b = text.IndexOf(begin, StringComparison.Ordinal);
        var e = text.IndexOf(end, StringComparison.Ordinal);
        text = b >= 0 && e > b ? text[..b] + section + text[(e + end.Length)..] : text.TrimEnd() + "\n\n" + section + "\n";
        await File.WriteAllTextAsync(path, text, ct).ConfigureAwait(false);
    }

    /// <summary>Copies a store or cabal directory (a scratch copy to measure on); LMDB lock files are left behind.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            if (!file.EndsWith("lock.mdb", StringComparison.Ordinal)) File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
